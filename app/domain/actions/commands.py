"""``handoff actions``: the register and its follow-up for scripts, on the database like
``handoff users`` (list, measure on a log, change a state)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.config import Settings
from app.lib.errors import DomainError

__all__ = ["add_action_commands"]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _line(row: Any) -> str:
    due = f"due {row.due.isoformat()}{' OVERDUE' if row.overdue else ''}"
    owner = " / ".join(x for x in (row.owner, row.account) if x) or "no owner"
    return (
        f"#{row.id}\t{row.title}\t[{row.state}]\t{row.department}\t{owner}\t{due}\t"
        f"{_number(row.before)} → {_number(row.after)} {row.unit} "
        f"(target {_number(row.target)}): {row.outcome}"
    )


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import open_database, session_scope
    from app.domain.actions.services import register, register_csv

    with session_scope(open_database(settings)) as session:
        rows = register(session, department=args.department, process=args.process, state=args.state)
    if args.output is not None:
        try:
            args.output.write_text(register_csv(rows), encoding="utf-8", newline="")
        except OSError as error:
            raise DomainError(f"{args.output}: cannot be written ({error.strerror}).") from None
        print(f"wrote {len(rows)} action(s) to {args.output}")
    elif args.json:
        print(json.dumps([row.model_dump(mode="json") for row in rows], indent=2))
    else:
        for row in rows:
            print(_line(row))
    return 0


def _measure(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import col, select

    from app.db.engine import commit, open_database, session_scope
    from app.db.models import ImprovementAction
    from app.domain.actions.followup import FOLLOWED, is_later, measure_action
    from app.domain.actions.services import register_row
    from app.domain.event_logs.services import get_log

    with session_scope(open_database(settings)) as session:
        log_row = get_log(session, args.log)
        query = select(ImprovementAction).order_by(col(ImprovementAction.id))
        if args.action is not None:
            query = query.where(ImprovementAction.id == args.action)
        else:
            query = query.where(col(ImprovementAction.state).in_(FOLLOWED))
        actions = [a for a in session.exec(query).all() if is_later(a, log_row)]
        if args.action is not None and not actions:
            raise DomainError(
                f"Action {args.action} does not exist or its baseline log is not older than "
                f"log {args.log}."
            )
        for action in actions:
            measure_action(session, action, log_row)
        commit(session)
        for action in actions:
            print(_line(register_row(session, action.id or 0)[0]))
    if not actions:
        print(f"no action has a baseline log older than log {args.log}", file=sys.stderr)
    return 0


def _set_state(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.engine import commit, open_database, session_scope
    from app.domain.accounts.roles import Principal
    from app.domain.actions.schemas import ActionUpdate
    from app.domain.actions.services import register_row, update_action

    with session_scope(open_database(settings)) as session:
        update = ActionUpdate(state=args.state, comment=args.comment)
        update_action(session, args.id, update, Principal(None, "cli", "admin", via="cli"))
        commit(session)
        print(_line(register_row(session, args.id)[0]))
    return 0


def add_action_commands(commands: Any) -> None:
    """Add ``actions list|measure|set-state`` to the ``handoff`` command's subparsers."""
    actions = commands.add_parser(
        "actions", help="improvement actions: the register, follow-up on a log, states"
    )
    sub = actions.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="the register: before, after, target, met or missed")
    listing.add_argument("--department", help="only actions of this department")
    listing.add_argument("--process", help="only actions of this process (slug)")
    listing.add_argument("--state", help="planned, 'in progress', done or dropped", metavar="STATE")
    out = listing.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the register as JSON")
    out.add_argument("-o", "--output", type=Path, help="write the register as CSV")
    listing.set_defaults(run=_list)
    measure = sub.add_parser(
        "measure", help="measure every followed action (or one) on a later log"
    )
    measure.add_argument("--log", type=int, required=True, metavar="N", help="the log's id")
    measure.add_argument("--action", type=int, metavar="ID", help="only this action")
    measure.set_defaults(run=_measure)
    state = sub.add_parser("set-state", help="move an action to another state")
    state.add_argument("id", type=int, metavar="ID")
    state.add_argument("state", choices=["planned", "in progress", "done", "dropped"])
    state.add_argument("--comment", help="a remark recorded with the change")
    state.set_defaults(run=_set_state)
