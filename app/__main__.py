"""Run the `handoff` command as `python -m app`."""

from app.cli import main

raise SystemExit(main())
