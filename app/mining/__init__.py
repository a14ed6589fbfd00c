"""Reading event logs and mining them: the only package that imports polars, pandas, pm4py.

Framework-free and synchronous: no web or database code here. Services call it through
a worker thread or a job.
"""
