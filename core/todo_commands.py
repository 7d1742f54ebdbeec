"""``tongchou todo``: a user's worklist (我的待办), the same list as the web UI's.

``tongchou todo --user NAME [--date D] [--ready] [--json]`` lists, earliest
due first and then longest waiting, each project and the action the user
may take on it now, with why (the article) and whether something still
blocks it.  ``--json`` prints a list of entries with ``project_id``,
``action``, ``code`` (what is owed, if anything), ``reason``, ``citation``,
``due``, ``ready`` and ``blocked_by``.
"""
from __future__ import annotations

import argparse
import datetime as dt

from .cli import _actor, _date, _open, _print_json


def cmd_todo(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        on = args.date or dt.date.today()
        entries = ledger.todos(actor, on, ready_only=args.ready)
        if args.json:
            _print_json([e.to_json(on) for e in entries])
            return 0
        print(f"{actor.name} 的待办（{on}）：{len(entries)} 项")
        for e in entries:
            due = ""
            if e.due is not None:
                due = f" 期限 {e.due}" + ("（已逾期）" if e.overdue_on(on) else "")
            print(f"  #{e.project_id} {e.project}（{e.unit}）：{e.action_label} — {e.reason}"
                  f" [{e.citation.label}]{due}")
            for r in e.blocked_by:
                print(f"      尚需：{r.label}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("todo", help="a user's worklist: the actions waiting for them, and why")
    p.add_argument("--user", required=True, help="whose worklist")
    p.add_argument("--date", type=_date, help="the day looked at (default today)")
    p.add_argument("--ready", action="store_true", help="only what can be taken now (nothing blocks it)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_todo)
