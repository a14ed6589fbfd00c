"""The ``handoff`` command (also ``python -m app``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.lib.errors import DomainError

__all__ = ["main"]

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.asgi import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _processes_import(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.processes.services import import_processes
    from app.domain.processes.yaml_format import read_process_files

    documents = read_process_files(args.paths, settings.max_process_file_bytes)
    engine = open_database(settings)
    with session_scope(engine) as session:
        outcomes = import_processes(session, documents, replace=args.replace)
        commit(session)
    for outcome in outcomes:
        print(f"{outcome.action:9} {outcome.slug}  ({outcome.source})")
    return 0


def _processes_export(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import open_database, session_scope
    from app.domain.processes.services import export_process

    engine = open_database(settings)
    with session_scope(engine) as session:
        text = export_process(session, args.slug)
    if args.output is None or str(args.output) == "-":
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise DomainError(f"{args.output}: cannot be written ({error.strerror}).") from None
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handoff",
        description="Map, mine and streamline the cross-department handoffs of city services.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service (UI at /, API under /api)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    processes = commands.add_parser("processes", help="process definition files in and out")
    actions = processes.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="store process YAML files (or folders of them)")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.add_argument(
        "--replace", action="store_true", help="overwrite stored processes that differ"
    )
    imp.set_defaults(run=_processes_import)
    exp = actions.add_parser("export", help="write a stored process as YAML")
    exp.add_argument("slug")
    exp.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    exp.set_defaults(run=_processes_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 bad input, 1 internal error)."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace, Settings], int] = args.run
    try:
        return run(args, Settings())
    except DomainError as error:
        print(f"handoff: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"handoff: the database failed: {reason}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
