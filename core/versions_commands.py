"""``tongchou rules``: the versions of the rules and which projects they govern.

``tongchou rules list [--json]`` lists the versions of the jurisdiction's
measures with their dates and how many projects each governs.
``tongchou rules move VERSION (--project ID ... | --all-before DATE) --user
ADMIN [--dry-run] [--date D] [--json]`` puts projects under another version
(administrators; audited); ``--dry-run`` only shows what the move would
change, as ``tongchou whatif --version VERSION`` does.
"""
from __future__ import annotations

import argparse
import datetime as dt

from . import whatif
from .cli import CliError, _actor, _date, _id, _open, _print_json
from .whatif_commands import print_result


def cmd_rules_list(args) -> int:
    with _open(args) as ledger:
        counts = ledger.rules_counts()
        today = args.date or dt.date.today()
        current = ledger.version_on(today)
        rows = [dict(v.to_json(), projects=counts.get(v.name, 0), current=v.name == current.name,
                     expired=v.expired(today)) for v in ledger.rule_versions]
        if args.json:
            _print_json({"jurisdiction": ledger.jurisdiction.name, "anchor": ledger.jurisdiction.anchor,
                         "date": today, "versions": rows})
            return 0
        anchor = ledger.jurisdiction.anchor
        print(f"{ledger.jurisdiction.title} 规则版本（按{'“' + anchor + '”事项日期' if anchor else '登记日期'}确定适用版本）：")
        for r in rows:
            period = f"{r['effective'] or '—'} 至 {r['expires'] or '长期'}"
            marks = ("  现行" if r["current"] else "") + ("  已失效" if r["expired"] else "")
            print(f"  {r['name']:<12} {period:<26} {r['projects']:>6} 个项目{marks}")
    return 0


def cmd_rules_move(args) -> int:
    with _open(args) as ledger:
        target = ledger.rule_version(args.version)
        if args.project:
            ids = sorted(set(args.project))
        elif args.all_before:
            ids = ledger.projects_before(args.all_before, target.name)
        else:
            raise CliError("give --project ID (repeatable) or --all-before DATE")
        if args.dry_run:
            result = whatif.run(ledger, whatif.Draft(version=target.name), on=args.date, project_ids=ids)
            if args.json:
                _print_json(dict(result.to_json(), projects_to_move=ids))
            else:
                print(f"{len(ids)} projects would move to version {target.name} (dry run, nothing written)")
                print_result(result)
            return 0
        actor = _actor(ledger, args.user)
        moved = ledger.move_rules(ids, target.name, actor, args.note or "")
        if args.json:
            _print_json({"version": target.name, "moved": moved, "asked": len(ids)})
        else:
            print(f"{moved} of {len(ids)} projects moved to version {target.name}; their obligations and "
                  "findings re-derived")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    rules = sub.add_parser("rules", help="versions of the rules: list them, move projects between them")
    rs = rules.add_subparsers(dest="sub", metavar="SUB")
    rs.required = True
    p = rs.add_parser("list", help="the versions, their dates and how many projects each governs")
    p.add_argument("--date", type=_date, help="the day that says which version is current (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rules_list)
    p = rs.add_parser("move", help="put projects under another version of the rules (administrators)",
                      description="Put projects under VERSION (audited; their obligations and findings are "
                                  "re-derived). Use --dry-run first to see what would change.")
    p.add_argument("version", help="the version to move them to")
    p.add_argument("--project", type=_id, action="append", metavar="ID", help="a project (repeatable)")
    p.add_argument("--all-before", type=_date, metavar="DATE",
                   help="every project entered before DATE that another version governs")
    p.add_argument("--dry-run", action="store_true", help="only show what would change (nothing is written)")
    p.add_argument("--date", type=_date, help="the day findings and deadlines are compared (dry run)")
    p.add_argument("--user", help="the administrator who moves them (required unless --dry-run)")
    p.add_argument("--note", help="why (kept in the audit log)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rules_move)
