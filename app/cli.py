"""The ``handoff`` command (also ``python -m app``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.lib.actor import ACTOR
from app.lib.errors import DomainError

if TYPE_CHECKING:
    from app.mining.options import ImportOptions

__all__ = ["main"]

EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from app.asgi import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def _password_from_stdin() -> str:
    """The first line of stdin, without its line end (a password piped in)."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise DomainError("No password on stdin: pipe it in, e.g. with printf '%s' \"$PW\" |.")
    return password


def _users_add(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.accounts.services import create_account

    password = _password_from_stdin()
    with session_scope(open_database(settings)) as session:
        account = create_account(session, args.name, password, args.role, args.department or [])
        commit(session)
        print(f"created {account.username} ({account.role})")
    return 0


def _users_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import open_database, session_scope
    from app.domain.accounts.services import account_public, list_accounts

    with session_scope(open_database(settings)) as session:
        for account in list_accounts(session):
            row = account_public(session, account)
            departments = f" ({', '.join(row['departments'])})" if row["departments"] else ""
            state = "" if row["active"] else " [inactive]"
            print(f"{row['username']}\t{row['role']}{departments}{state}")
    return 0


def _users_passwd(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.accounts.services import account_by_name, update_account

    password = _password_from_stdin()
    with session_scope(open_database(settings)) as session:
        account = account_by_name(session, args.name)
        assert account.id is not None
        update_account(session, account.id, {"password": password})
        commit(session)
        print(f"new password set for {account.username}; their sessions have ended")
    return 0


def _users_token(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.accounts.services import account_by_name, new_token

    with session_scope(open_database(settings)) as session:
        account = account_by_name(session, args.name)
        _, secret = new_token(session, account, args.label, args.days)
        commit(session)
    print(secret)
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


class _ProgressBar:
    """A one-line progress bar on a terminal's stderr; silent elsewhere."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.last = -1

    def __call__(self, share: float, phase: str) -> None:
        percent = int(share * 100)
        if not self.enabled or percent == self.last:
            return
        self.last = percent
        filled = percent // 4
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (25 - filled)}] {percent:3d}% {phase:<10}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last >= 0:
            sys.stderr.write("\r" + " " * 50 + "\r")
            sys.stderr.flush()


def _reading_options(args: argparse.Namespace, settings: Settings) -> ImportOptions:
    """Import options from the flags that import-log and analyze share.

    Built directly (no web or database modules), so that ``analyze`` starts quickly.
    """
    from app.mining.options import ImportLimits, ImportOptions

    if not args.log.is_file():
        raise DomainError(f"{args.log}: no such file.")
    return ImportOptions(
        case=args.case,
        activity=args.activity,
        timestamp=args.timestamp,
        department=args.department,
        resource=args.resource,
        start_timestamp=args.start_timestamp,
        lifecycle_column=args.lifecycle_column,
        timezone=args.timezone,
        dayfirst=args.dayfirst,
        encoding=args.encoding,
        delimiter=args.delimiter,
        on_error=args.on_error,
        pseudonymise=tuple(getattr(args, "pseudonymise", None) or ()),
        lifecycle="keep" if args.keep_lifecycle else "pair",
        limits=ImportLimits(max_decompressed_bytes=settings.max_decompressed_bytes),
    )


def _import_log(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.event_logs.services import import_file

    options = _reading_options(args, settings)
    engine = open_database(settings)
    bar = _ProgressBar()
    try:
        with session_scope(engine) as session:
            row, created = import_file(
                session,
                args.log,
                str(args.log),
                options,
                name=args.name,
                workdir=settings.work_dir,
                progress=bar,
            )
            commit(session)
    finally:
        bar.close()
    if created:
        print(
            f"imported {row.events:,} events in {row.cases:,} cases from {row.source_filename} "
            f"({row.exact_duplicate_rows_dropped:,} exact duplicate rows dropped, "
            f"{row.rows_skipped:,} rows skipped, {row.import_seconds:.2f} s)"
        )
    else:
        print(f"{row.source_filename} was imported before with the same options, as log {row.id}")
    print(row.id)
    return 0


def _analyze(args: argparse.Namespace, settings: Settings) -> int:
    from app.lib.times import instant
    from app.mining.analysis import Filters, analysis_document, conformance, repeats
    from app.mining.analysis.calendar import calendar_from
    from app.mining.analysis.filters import where_pairs

    if (args.process is None) != (args.version is None):
        raise DomainError("--process and --version go together: name the file and the version.")
    graph = None
    if args.process is not None:
        from app.domain.processes.graph import version_graph
        from app.domain.processes.yaml_format import load_process_file

        process = load_process_file(args.process, settings.max_process_file_bytes)
        graph = version_graph(process, args.version)
    log = _read_log(
        args,
        settings,
        attributes=graph is not None or args.duplicate_requests is not None or bool(args.where),
        lean=True,
    )
    filters = Filters(
        start_us=instant(args.date_from, "--from"),
        end_us=instant(args.date_to, "--to"),
        departments=tuple(args.only_department or ()),
        activities=tuple(args.only_activity or ()),
        variant=tuple(args.only_variant) if args.only_variant else None,
        where=where_pairs(args.where or []),
    )
    calendar = calendar_from(
        args.business_hours, args.calendar_timezone, args.holidays, args.department_hours
    )
    document = analysis_document(
        log.events,
        log.stats,
        filters=filters,
        process=graph,
        conformance_params=conformance.Params(
            threshold=args.match_threshold,
            mapping=_mapping_flags(args.map or []),
            stop_clock=tuple(args.stop_clock or ()),
            channel=args.channel,
        ),
        ordered=True,
        calendar=calendar,
        duplicate_requests=(
            repeats.Params(args.duplicate_requests, _positive(args.within_days, "--within-days"))
            if args.duplicate_requests is not None
            else None
        ),
    )
    if args.json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        from app.domain.analyses.summary import summary_lines

        print("\n".join(summary_lines(document)))
    return 0


def _mapping_flags(pairs: list[str]) -> dict[str, str | None]:
    """``--map ACTIVITY=STEP`` flags as a mapping (an empty step leaves it unmapped)."""
    mapping: dict[str, str | None] = {}
    for pair in pairs:
        activity, sep, step = pair.partition("=")
        if not sep or not activity.strip():
            raise DomainError(f"--map takes ACTIVITY=STEP (a step id), not {pair!r}.")
        mapping[activity.strip()] = step.strip() or None
    return mapping


def _positive(value: float, flag: str) -> float:
    if not value > 0:
        raise DomainError(f"{flag} must be a number of days above zero, not {value:g}.")
    return value


def _read_log(
    args: argparse.Namespace, settings: Settings, *, attributes: bool = False, lean: bool = False
) -> Any:
    """The events of the LOG file (``args.log``), read with the mapping flags (``lean``:
    only for the analysis document, see ``read_event_log``)."""
    from app.mining.eventlog import read_event_log

    options = _reading_options(args, settings)
    bar = _ProgressBar()
    try:
        return read_event_log(
            args.log,
            str(args.log),
            options,
            workdir=settings.work_dir,
            progress=bar,
            keep_attributes=attributes,
            lean=lean,
        )
    finally:
        bar.close()


def _prepared_log(args: argparse.Namespace, settings: Settings) -> Any:
    """The ``--log`` file prepared for analysis, or None without one."""
    if args.log is None:
        return None
    from app.mining.analysis import prepare

    return prepare(_read_log(args, settings).events, ordered=True)


def _process_file(path: Path, settings: Settings) -> Any:
    from app.domain.processes.yaml_format import load_process_file

    return load_process_file(path, settings.max_process_file_bytes)


def _write(out: Path, content: bytes) -> None:
    try:
        out.write_bytes(content)
    except OSError as error:
        raise DomainError(f"{out}: cannot write the file ({error.strerror}).") from None
    print(f"wrote {out} ({len(content):,} bytes)", file=sys.stderr)


def _match_params(args: argparse.Namespace) -> Any:
    from app.mining.analysis.conformance import Params

    return Params(threshold=args.match_threshold, mapping=_mapping_flags(args.map or []))


def _render_version(args: argparse.Namespace, settings: Settings) -> int:
    from app.domain.reviews.services import version_map
    from app.rendering.output import format_from_suffix

    process = _process_file(args.file, settings)
    if args.output.suffix.lower() == ".bpmn":
        from app.domain.processes.graph import version_graph
        from app.rendering.bpmn import bpmn_xml

        _write(args.output, bpmn_xml(version_graph(process, args.version)))
        return 0
    fmt = format_from_suffix(args.output)
    prepared = _prepared_log(args, settings)
    _write(args.output, version_map(process, args.version, fmt, prepared, _match_params(args)))
    return 0


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    from app.domain.reviews.services import comparison, comparison_map
    from app.rendering.output import format_from_suffix

    if not args.json and args.output is None:
        raise DomainError("Say what to produce: --json for the document, -o FILE for the map.")
    fmt = format_from_suffix(args.output) if args.output is not None else None
    process = _process_file(args.file, settings)
    if fmt is not None:
        _write(
            args.output,
            comparison_map(process, args.from_label, args.to_label, fmt, args.style),
        )
    if args.json:
        prepared = _prepared_log(args, settings)
        document = comparison(
            process, args.from_label, args.to_label, prepared, _match_params(args)
        )
        print(json.dumps(document, indent=2, ensure_ascii=False))
    return 0


def _review(args: argparse.Namespace, settings: Settings) -> int:
    from app.domain.reviews.program import review_csv
    from app.domain.reviews.services import parse_weights, payback_of, program_review, review_page

    suffix = args.output.suffix.lower()
    if suffix not in (".html", ".csv", ".json"):
        raise DomainError(f"{args.output}: a review is written as .html, .csv or .json.")
    process = _process_file(args.file, settings)
    prepared = _prepared_log(args, settings)
    hourly = settings.hourly_staff_cost if args.hourly_cost is None else args.hourly_cost
    payback = payback_of(prepared, hourly, args.yearly_cases)
    rows = program_review(
        process, prepared, parse_weights(args.weight or []), _match_params(args), payback
    )
    if suffix == ".html":
        content = review_page(process, rows, prepared is not None, payback).encode()
    elif suffix == ".csv":
        content = review_csv(rows).encode()
    else:
        content = (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode()
    _write(args.output, content)
    return 0


def _scorecard(args: argparse.Namespace, settings: Settings) -> int:
    """Scorecards of a log file, computed in a throwaway SQLite database so that they go
    through exactly the code (cached analysis documents, SQL facts) the API uses."""
    import tempfile

    from app.db.engine import open_database, session_scope
    from app.domain.event_logs.services import import_file
    from app.domain.processes.services import import_processes
    from app.domain.processes.yaml_format import read_process_files
    from app.domain.scorecards import render, services
    from app.lib.times import instant

    if (args.process is None) != (args.version is None):
        raise DomainError("--process and --version go together: name the file and the version.")
    suffix = args.output.suffix.lower() if args.output is not None else None
    if suffix not in (None, ".csv", ".html", ".json"):
        raise DomainError(f"{args.output}: a scorecard is written as .csv, .html or .json.")
    options = _reading_options(args, settings)
    start, end = instant(args.date_from, "--from"), instant(args.date_to, "--to")
    with tempfile.TemporaryDirectory(prefix="handoff-scorecard-") as folder:
        local = settings.model_copy(update={"data_dir": Path(folder), "database_url": None})
        engine = open_database(local)
        try:
            with session_scope(engine) as session:
                slug = None
                if args.process is not None:
                    documents = read_process_files([args.process], local.max_process_file_bytes)
                    slug = import_processes(session, documents)[0].slug
                log, _ = import_file(
                    session, args.log, str(args.log), options, workdir=local.work_dir
                )
                assert log.id is not None
                if args.scored_department:
                    document = services.scorecard(
                        session, log.id, args.scored_department, start, end,
                        process=slug, version=args.version,
                    )  # fmt: skip
                else:
                    document = services.scorecards(
                        session, log.id, start, end, process=slug, version=args.version
                    )
        finally:
            engine.dispose()
    if suffix is None:
        print(render.scorecard_text(document))
        return 0
    if suffix == ".csv":
        content = render.scorecard_csv(document)
    elif suffix == ".html":
        content = render.scorecard_html(document)
    else:
        content = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    _write(args.output, content.encode())
    return 0


def _map_log(args: argparse.Namespace, settings: Settings) -> int:
    from app.domain.reviews.maps import (
        customer_map_image,
        directly_follows_document,
        log_customer_map,
        mined_diff_image,
        mined_map_image,
    )
    from app.mining.analysis import prepare
    from app.rendering.output import format_from_suffix

    fmt = format_from_suffix(args.output)
    # maps read only case, activity, department and time: the lean reader will do
    events = _read_log(args, settings, lean=True).events
    prepared = prepare(events, ordered=True)
    if args.versus is not None or args.split is not None:
        from app.lib.times import instant
        from app.mining.analysis import Filters

        if args.versus is not None and args.split is not None:
            raise DomainError("Compare with another log (--versus) or split at a date, not both.")
        if args.versus is not None:
            before, after = (
                prepared,
                prepare(
                    _read_log(replace_log(args, args.versus), settings, lean=True).events,
                    ordered=True,
                ),
            )
            title = f"{args.log.name} and {args.versus.name}"
        else:
            at = instant(args.split, "--split")
            before = prepare(Filters(end_us=at).apply(events), ordered=True)
            after = prepare(Filters(start_us=at).apply(events), ordered=True)
            title = f"{args.log.name} before and after {args.split}"
        content, shown, total = mined_diff_image(
            directly_follows_document(before), directly_follows_document(after), fmt, title=title
        )
        print(f"showing {shown} of {total} transitions", file=sys.stderr)
        _write(args.output, content)
        return 0
    if args.kind == "customer":
        content = customer_map_image(log_customer_map(prepared), fmt, title=args.log.name)
    else:
        content, shown, total = mined_map_image(
            directly_follows_document(prepared),
            fmt,
            measure=args.measure,
            keep=args.keep,
            title=args.log.name,
        )
        print(f"showing {shown} of {total} transitions", file=sys.stderr)
    _write(args.output, content)
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.backup import backup

    bar = _ProgressBar()
    try:
        summary = backup(settings.resolved_database_url, args.file, progress=bar)
    finally:
        bar.close()
    print(summary.describe())
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.backup import VerificationFailed, restore

    bar = _ProgressBar()
    try:
        try:
            summary = restore(
                settings.resolved_database_url, args.file, replace=args.replace, progress=bar
            )
        finally:
            bar.close()
    except VerificationFailed as error:  # not the file's fault: an internal error
        print(f"handoff: {error}", file=sys.stderr)
        return EXIT_INTERNAL
    print(summary.describe())
    return 0


def replace_log(args: argparse.Namespace, log: Path) -> argparse.Namespace:
    """The same flags for another log file."""
    return argparse.Namespace(**{**vars(args), "log": log})


def _add_reading(parser: argparse.ArgumentParser, *, optional: str | None = None) -> None:
    """The LOG argument (``--log LOG`` with that help when optional) and every flag on
    how to read it."""
    if optional is not None:
        parser.add_argument("--log", type=Path, metavar="LOG", help=optional)
    else:
        parser.add_argument("log", type=Path, metavar="LOG")
    group = parser.add_argument_group("mapping (recognised from the headers when not given)")
    for flag, text in [
        ("--case", "column of the case (ticket) id"),
        ("--activity", "column of the activity"),
        ("--timestamp", "column of the time the event completed"),
        ("--department", "column of the department"),
        ("--resource", "column of the person or system doing the work"),
        ("--start-timestamp", "column of the time the work started"),
        ("--lifecycle-column", "column of lifecycle transitions (start, complete)"),
    ]:
        group.add_argument(flag, metavar="COL", help=text)
    reading = parser.add_argument_group("reading")
    reading.add_argument("--timezone", metavar="TZ", help="IANA zone of times without offset")
    order = reading.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="dayfirst",
        action="store_const",
        const=True,
        help="dates like 03/04/2024 are 3 April",
    )
    order.add_argument(
        "--monthfirst",
        dest="dayfirst",
        action="store_const",
        const=False,
        help="dates like 03/04/2024 are 4 March",
    )
    reading.add_argument("--encoding", help="text encoding of a CSV (detected by default)")
    reading.add_argument("--delimiter", help="CSV delimiter (detected by default)")
    reading.add_argument(
        "--on-error",
        choices=["reject", "skip"],
        default="reject",
        help="rows that cannot be read: refuse the file (default) or skip them",
    )
    reading.add_argument(
        "--keep-lifecycle",
        action="store_true",
        help="keep lifecycle start events instead of merging them as start times",
    )


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

    users = commands.add_parser("users", help="accounts: add, list, change a password, tokens")
    user_actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = user_actions.add_parser("add", help="create an account (the password read from stdin)")
    add.add_argument("name", metavar="NAME")
    add.add_argument(
        "--role", required=True, choices=["admin", "analyst", "branch-lead", "reviewer", "viewer"]
    )
    add.add_argument(
        "--department", action="append", metavar="D", help="a department a branch lead leads"
    )
    add.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from stdin"
    )
    add.set_defaults(run=_users_add)
    listing = user_actions.add_parser("list", help="every account with its role")
    listing.set_defaults(run=_users_list)
    passwd = user_actions.add_parser("passwd", help="set a new password (read from stdin)")
    passwd.add_argument("name", metavar="NAME")
    passwd.add_argument("--password-stdin", action="store_true", required=True)
    passwd.set_defaults(run=_users_passwd)
    token = user_actions.add_parser("token", help="an API token for scripts, printed once")
    token.add_argument("name", metavar="NAME")
    token.add_argument("--label", default="command line", help="what the token is for")
    token.add_argument("--days", type=float, help="days until it expires (never by default)")
    token.set_defaults(run=_users_token)

    log = commands.add_parser(
        "import-log", help="store an event log (CSV, XES, Parquet; .gz or .zip) in the database"
    )
    _add_reading(log)
    log.add_argument("--name", help="name of the log (default: the file name)")
    log.add_argument(
        "--pseudonymise",
        nargs="+",
        metavar="COL",
        help="replace these columns (or roles: case, resource) by salted hashes",
    )
    log.set_defaults(run=_import_log)

    analyze = commands.add_parser(
        "analyze", help="analyse an event log file without touching the database"
    )
    _add_reading(analyze)
    analyze.add_argument("--process", type=Path, metavar="FILE", help="a process YAML file")
    analyze.add_argument("--version", metavar="LABEL", help="the version to check against")
    analyze.add_argument("--json", action="store_true", help="print the analysis document")
    scope = analyze.add_argument_group("filters (whole cases are kept or dropped)")
    scope.add_argument(
        "--from", dest="date_from", metavar="DATE", help="cases starting then or later"
    )
    scope.add_argument("--to", dest="date_to", metavar="DATE", help="cases starting before then")
    scope.add_argument(
        "--only-department", action="append", metavar="NAME", help="cases touching it (repeatable)"
    )
    scope.add_argument(
        "--only-activity", action="append", metavar="NAME", help="cases with it (repeatable)"
    )
    scope.add_argument(
        "--only-variant",
        action="append",
        metavar="NAME",
        help="cases whose activities are exactly these, in order (repeat once per activity)",
    )
    scope.add_argument(
        "--where",
        action="append",
        metavar="COL=VALUE",
        help="cases with that value in another column, e.g. Channel=Web (repeatable)",
    )
    hours = analyze.add_argument_group("business hours (waits count only opening hours)")
    hours.add_argument("--business-hours", metavar="HOURS", help="e.g. 'Mon-Fri 08:30-16:30'")
    hours.add_argument("--calendar-timezone", metavar="TZ", help="zone of the hours (UTC)")
    hours.add_argument("--holidays", metavar="DATES", help="e.g. 2025-01-01,2025-12-25")
    hours.add_argument(
        "--department-hours",
        action="append",
        metavar="DEPT=HOURS",
        help="a department's own hours, e.g. 'Roads=Mon-Fri 07:00-15:30' (repeatable)",
    )
    checks = analyze.add_argument_group("conformance and service standards (with --process)")
    _add_match_flags(checks)
    checks.add_argument(
        "--stop-clock",
        action="append",
        metavar="ACTIVITY",
        help="the standards' clock stops from this activity to the next event (repeatable)",
    )
    checks.add_argument(
        "--channel",
        metavar="COL",
        help="column with the request's channel (found by name by default; '' for none)",
    )
    repeat = analyze.add_argument_group("duplicate requests (the same problem reported twice)")
    repeat.add_argument(
        "--duplicate-requests", metavar="COL", help="column naming the problem (address, asset)"
    )
    repeat.add_argument(
        "--within-days",
        type=float,
        default=30.0,
        metavar="N",
        help="reports of one value within N days of each other are one problem (30)",
    )
    analyze.set_defaults(run=_analyze)

    render = commands.add_parser("render", help="map of one documented process version")
    render.add_argument("file", type=Path, metavar="FILE", help="a process YAML file")
    render.add_argument("--version", required=True, metavar="LABEL")
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="OUT",
        help=".svg, .png, .pdf, .dot, or .bpmn for BPMN 2.0 XML with diagram layout",
    )
    _add_matching(render, "overlay the volumes and waits of this log")
    render.set_defaults(run=_render_version)

    compare = commands.add_parser("compare", help="as-is vs to-be: the comparison and its map")
    compare.add_argument("file", type=Path, metavar="FILE", help="a process YAML file")
    compare.add_argument("--from", dest="from_label", required=True, metavar="LABEL")
    compare.add_argument("--to", dest="to_label", required=True, metavar="LABEL")
    compare.add_argument("--json", action="store_true", help="print the comparison document")
    compare.add_argument("-o", "--output", type=Path, metavar="OUT", help="write the map")
    compare.add_argument(
        "--style", choices=["diff", "side-by-side"], default="diff", help="map style (diff)"
    )
    _add_matching(compare, "mine the expected cycle time of each version from this log")
    compare.set_defaults(run=_compare)

    review = commands.add_parser(
        "review", help="program review: the as-is and every option, scored and ranked"
    )
    review.add_argument("file", type=Path, metavar="FILE", help="a process YAML file")
    review.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help=".html, .csv or .json"
    )
    review.add_argument(
        "--weight",
        action="append",
        metavar="CRITERION=N",
        help="weight of a criterion, e.g. handoffs=2 (repeatable; defaults documented)",
    )
    review.add_argument(
        "--hourly-cost",
        type=float,
        metavar="AMOUNT",
        help="staff cost of one hour, for savings and payback (HANDOFF_HOURLY_STAFF_COST, 55)",
    )
    review.add_argument(
        "--yearly-cases",
        type=float,
        metavar="N",
        help="cases a year, instead of those mined from --log (the last 365 days of it)",
    )
    _add_matching(
        review, "mine the expected cycle time of each version and the yearly cases from this log"
    )
    review.set_defaults(run=_review)

    card = commands.add_parser(
        "scorecard", help="department scorecards of a log file: this period against the last"
    )
    _add_reading(card)
    card.add_argument(
        "--for",
        dest="scored_department",
        metavar="DEPARTMENT",
        help="one department, with its trend per month (--department names the column)",
    )
    card.add_argument(
        "--from", dest="date_from", metavar="DATE", help="cases starting then or later"
    )
    card.add_argument("--to", dest="date_to", metavar="DATE", help="cases starting before then")
    card.add_argument("--process", type=Path, metavar="FILE", help="a process YAML file")
    card.add_argument("--version", metavar="LABEL", help="its version whose standards apply")
    card.add_argument(
        "-o", "--output", type=Path, metavar="OUT", help=".csv, .html (printable) or .json"
    )
    card.set_defaults(run=_scorecard)

    mapped = commands.add_parser("map", help="mined map or department customer map of a log")
    _add_reading(mapped)
    mapped.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help=".svg, .png, .pdf or .dot"
    )
    mapped.add_argument("--kind", choices=["mined", "customer"], default="mined")
    mapped.add_argument("--measure", choices=["frequency", "performance"], default="frequency")
    mapped.add_argument(
        "--keep",
        type=float,
        default=100.0,
        metavar="PERCENT",
        help="keep the busiest transitions covering this share of all (at most 200 edges)",
    )
    mapped.add_argument(
        "--versus", type=Path, metavar="LOG2", help="compare with another log on one map"
    )
    mapped.add_argument(
        "--split", metavar="DATE", help="compare the cases starting before and after DATE"
    )
    mapped.set_defaults(run=_map_log)

    saved = commands.add_parser(
        "backup", help="write the whole database to one portable file (while the service runs)"
    )
    saved.add_argument("file", type=Path, metavar="FILE", help="the backup to write (a .zip)")
    saved.set_defaults(run=_backup)
    back = commands.add_parser(
        "restore", help="load a backup into an empty database (SQLite or PostgreSQL)"
    )
    back.add_argument("file", type=Path, metavar="FILE", help="a file written by handoff backup")
    back.add_argument(
        "--replace",
        action="store_true",
        help="replace everything the database holds (in one transaction)",
    )
    back.set_defaults(run=_restore)

    from app.domain.actions.commands import add_action_commands

    add_action_commands(commands)
    return parser


def _add_matching(parser: argparse.ArgumentParser, log_help: str) -> None:
    """``--log`` with its reading flags, and how activities match documented steps."""
    _add_reading(parser, optional=log_help)
    _add_match_flags(parser)


def _add_match_flags(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """How log activities match documented steps: given pairs and the name similarity."""
    parser.add_argument(
        "--map",
        action="append",
        metavar="ACTIVITY=STEP",
        help="map a log activity to a documented step id; 'ACTIVITY=' leaves it unmapped",
    )
    parser.add_argument(
        "--match-threshold",
        type=float,
        default=85.0,
        metavar="N",
        help="similarity (0-100) at which an activity matches a step by name (85)",
    )


def _from_database(error: Exception) -> bool:
    """Whether an error is SQLAlchemy's (told by class, without importing SQLAlchemy)."""
    return any(cls.__module__ == "sqlalchemy.exc" for cls in type(error).__mro__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 bad input, 1 internal error)."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace, Settings], int] = args.run
    # changes made by a command are recorded as "cli"; the server records who signed in
    actor = ACTOR.set(None if run is _serve else "cli")
    try:
        return run(args, Settings())
    except DomainError as error:
        print(f"handoff: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:
        if not _from_database(error):
            raise
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"handoff: the database failed: {reason}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    finally:
        ACTOR.reset(actor)
