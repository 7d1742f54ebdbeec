"""``tongchou whatif``: what a draft rule set would have done to the ledger.

``tongchou whatif --param change_threshold=0.10 [--param ...] [--disable
PLUGIN] [--date D] [--user U] [--json]`` replays every project's history under
the draft and lists, project by project, the past steps it would have refused
(with the articles) and the deadlines and findings it would change.  It never
writes the ledger.
"""
from __future__ import annotations

import argparse

from . import whatif
from .cli import _date, _open, _print_json, _reader

CHANGE = {"added": "+", "removed": "-", "changed": "~"}


def cmd_whatif(args) -> int:
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        draft = whatif.Draft(whatif.parse_overrides(args.param or []), tuple(args.disable or ()),
                             version=args.version)
        result = whatif.run(ledger, draft, on=args.date, actor=reader)
        if args.json:
            _print_json(result.to_json())
            return 0
        print_result(result)
    return 0


def print_result(result: whatif.WhatIf) -> None:
    """The header and, project by project, what the draft changes."""
    print(print_header(result))
    for p in result.projects:
        print(f"\n#{p.project_id} {p.name} ({p.unit}, {p.status})")
        for r in p.refused:
            print(f"  refused  step {r.seq} {r.date} {r.label} ({r.action}): "
                  + ";".join(x.label for x in r.refusals))
        for o in p.obligations:
            before = f"{o.before.due}" if o.before else "—"
            after = f"{o.after.due}" if o.after else "—"
            late = " (closed late)" if o.late_after else ""
            print(f"  deadline {CHANGE[o.change]} {'、'.join(o.citation.article_labels)} {o.message}: "
                  f"{before} -> {after}{late}")
        for f in p.findings:
            print(f"  finding  {CHANGE[f.change]} [{f.severity}] {'、'.join(f.citation.article_labels)} "
                  f"{f.message}")
        for note in p.notes:
            print(f"  note     {note}")


def print_header(result: whatif.WhatIf) -> str:
    parts = [f"{n}: {cur} -> {new}" for n, (cur, new) in result.overrides.items()]
    if result.disabled:
        parts.append("disabled: " + ", ".join(result.disabled))
    if result.version is not None:
        parts.append(f"rules version {result.version}")
    draft = "; ".join(parts) or "no change (current rules)"
    return (f"what if ({draft}) on {result.on}: {len(result.projects)} of {result.examined} projects change, "
            f"{result.refused_steps} past steps would be refused")


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("whatif", help="replay the ledger under draft rules (read-only): what would change")
    p.add_argument("--param", action="append", metavar="NAME=VALUE",
                   help="a parameter's draft value, for every date (repeatable)")
    p.add_argument("--disable", action="append", metavar="PLUGIN", help="a plugin to switch off (repeatable)")
    p.add_argument("--version", help="replay every project under this version of the rules (see tongchou rules)")
    p.add_argument("--date", type=_date, help="the day findings and deadlines are compared (default today)")
    p.add_argument("--user", help="only the projects this user may see")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_whatif)
