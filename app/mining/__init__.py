"""Reading event logs and mining them: the only package that imports polars, pandas, pm4py.

Framework-free and synchronous: no web or database code here. Services call it through
a worker thread or a job.
"""

import os

# pm4py draws tqdm progress bars on stderr for every replay; a service and a CLI that
# prints JSON want none. Read by pm4py when it is first imported.
os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
