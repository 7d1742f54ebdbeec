"""The ``tongchou`` command.

Every command opens the ledger given by ``--db`` (or ``TONGCHOU_DATABASE``,
default ``./tongchou.db``).  Errors print one line naming what is wrong and
exit non-zero: 2 for bad input or configuration, 1 for a refused action or a
failed check.  ``--json`` output is stable for scripts.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from typing import Any

from . import __version__
from .dates import parse_date
from .errors import InvalidInput, NotFound, Refused, TongchouError
from .ledger import Ledger, LedgerFinding, LedgerObligation
from .values import MAX_ID, dumps_pretty, record_id, to_json_value


class CliError(TongchouError):
    pass


#: Modules of ``tongchou`` that add commands of their own: each defines
#: ``add_commands(subparsers)`` and uses the helpers of this module.
COMMAND_MODULES: tuple[str, ...] = ("admin_commands", "official_commands", "whatif_commands", "plugin_commands", "io_commands",
                                     "versions_commands", "todo_commands")
#: Entry-point group through which installed packs add commands: each entry
#: point names a callable ``add_commands(subparsers)``, as above.
COMMANDS_GROUP = "tongchou.commands"


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _id(text: str) -> int:
    """A record id on the command line: refused with one line, never an OverflowError."""
    value = record_id(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"编号应为 1 到 {MAX_ID} 之间的整数：{text[:40]!r}")
    return value


def _count(text: str) -> int:
    """A count, offset, year or port: a whole number from 0 to 10**9."""
    text = text.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise argparse.ArgumentTypeError(f"应为 0 到 999999999 之间的整数：{text[:40]!r}")
    return int(text)


def _pairs(items: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"expected key=value, got {item!r}")
        if key.strip() in out:
            raise CliError(f"key {key.strip()!r} given twice")
        out[key.strip()] = value
    return out


def _print_json(data: Any) -> None:
    print(dumps_pretty(data))  # json.dumps(..., indent=2, sort_keys=True), faster on a province


def _open(args) -> Ledger:
    ledger = Ledger.open(args.db, jurisdiction=getattr(args, "jurisdiction", None))
    if _WHOLE_PROCESS:
        # The process is this one command: the modules, the pack and its
        # registry live until it exits.  Frozen, the collector no longer walks
        # them at every full collection and once more at exit (a tenth of a
        # province-wide ``findings --json``).  Not when main() is called by a
        # longer-lived program (tests): its garbage would be frozen too.
        gc.freeze()
    return ledger


def _actor(ledger: Ledger, name: str | None):
    if not name:
        raise CliError("--user NAME is required: every change is made by a named user")
    return ledger.actor(name)


def _reader(ledger: Ledger, name: str | None):
    return ledger.actor(name) if name else None


def _project_json(ledger: Ledger, p) -> dict:
    data = {"id": p.id, "status": p.status, "status_label": ledger.registry.status_label(p.status),
            "version": p.version, "fields": to_json_value(dict(p.fields))}
    if ledger.registry.party_fields:  # only packs that declare parties: older output stays as it was
        data["parties"] = [{"field": f, "label": label, "unit": unit} for f, label, unit in ledger.party_list(p)]
    return data


# -- commands ----------------------------------------------------------------


def cmd_init(args) -> int:
    ledger = _open(args)
    with ledger:
        print(f"ledger ready: {ledger.url} (jurisdiction {ledger.jurisdiction.name}, "
              f"{ledger.jurisdiction.title})")
        if args.demo:
            print(seed_demo(ledger, args.today or dt.date.today()))
    return 0


def seed_demo(ledger: Ledger, today: dt.date) -> str:
    from .models import Project
    if Project.select().exists():
        return "demo not added: the ledger already has projects"
    from .db import write_transaction
    # All or nothing: a seeding killed half-way leaves the ledger as it was.
    with write_transaction(ledger.db):
        result = ledger.pm.hook.tongchou_seed_demo(ledger=ledger, today=today)
    if result is None:
        return f"jurisdiction {ledger.jurisdiction.name!r} has no demo data"
    return str(result)


def cmd_migrate(args) -> int:
    """The core's numbered migrations; then, on a ledger that exists, the enabled
    pack's (indexes of its ``indexed`` fields), which need the pack loaded."""
    from .db import migrate, open_database
    db = open_database(args.db)
    db.connect()
    try:
        applied = migrate(db)
        exists = db.execute_sql(f"SELECT 1 FROM \"setting\" WHERE \"key\" = {db.param}",
                                ("jurisdiction",)).fetchone() is not None
    finally:
        db.close()
    if exists:
        with _open(args) as ledger:
            applied += ledger.upgraded
    print("applied: " + (", ".join(applied) if applied else "nothing (schema is current)"))
    return 0


def cmd_project_add(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        p = ledger.create_project(_pairs(args.fields), actor, args.date)
        if args.json:
            _print_json(_project_json(ledger, p))
        else:
            print(f"project {p.id} added: {p.name} ({ledger.registry.status_label(p.status)})")
    return 0


def cmd_project_edit(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        p = ledger.update_project(args.project, _pairs(args.fields), actor, args.date)
        print(f"project {p.id} updated: {p.name}")
    return 0


def cmd_project_list(args) -> int:
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        filters = {k: v for k, v in (("status", args.status), ("unit", args.unit), ("year", args.year)) if v}
        filters.update(_pairs(args.filter or []))
        rows, total = ledger.projects(reader, filters=filters, search=args.search or "",
                                      limit=args.limit, offset=args.offset)
        if args.json:
            _print_json({"total": total, "projects": [_project_json(ledger, p) for p in rows]})
            return 0
        for p in rows:
            est = p["estimate"]
            print(f"{p.id:>6}  {p['year']}  {ledger.registry.status_label(p.status):<10}  "
                  f"{(format(est, ',.2f') if est is not None else '-'):>16}  {p['unit']}  {p.name}")
        print(f"({len(rows)} of {total})")
    return 0


def cmd_project_show(args) -> int:
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        p = ledger.project(args.project, reader)
        on = args.date or dt.date.today()
        history = ledger.history(p.id, reader)
        findings = ledger.findings(on, reader, project_id=p.id)
        obligations = ledger.obligations(reader, project_id=p.id, open_only=False)
        rules = ledger.project_rules(p.id, reader)
        if args.json:
            data = _project_json(ledger, p)
            data.update({"date": on, "events": history, "rules": dict(rules.to_json(), tag=rules.tag),
                         "findings": [f.to_json() for f in findings],
                         "obligations": [o.to_json(on) for o in obligations]})
            _print_json(data)
            return 0
        reg = ledger.registry
        print(f"project {p.id}: {p.name}")
        print(f"  status: {reg.status_label(p.status)} ({p.status})")
        expired = "（已失效）" if rules.expired(on) else ""
        about = f"（{rules.description}）" if rules.description else ""
        print(f"  rules: 版本 {rules.name}{about}{expired}")
        if reg.party_fields:
            print("  parties: " + ";".join(f"{label}:{unit}" for _f, label, unit in ledger.party_list(p)))
        for name, spec in reg.fields.items():
            value = p[name]
            if spec.type in ("enum",) and value is not None:
                value = f"{spec.choice_label(value)} ({value})"
            print(f"  {spec.label}: {'' if value is None else value}")
        print("  events:")
        for ev in history:
            print(f"    {ev['date']}  {ev['label']} ({ev['action']}) by {ev['actor']} [{ev['role']}]  "
                  f"{reg.status_label(ev['from_status'])} → {reg.status_label(ev['to_status'])}")
        print("  obligations:")
        for o in obligations:
            state = f"closed {o.closed_on}" if o.closed_on else ("OVERDUE" if o.overdue_on(on) else "open")
            print(f"    due {o.due}  {o.message}  [{o.citation.label}]  {state}")
        print(f"  findings on {on}:")
        for f in findings:
            print(f"    {f.severity}: {f.message}  [{f.citation.label}]")
    return 0


def cmd_act(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        try:
            result = ledger.act(args.project, args.action, actor, args.date, _pairs(args.args))
        except Refused as exc:
            if args.json:
                _print_json({"ok": False, "refusals": [r.to_json() for r in exc.refusals]})
            else:
                for r in exc.refusals:
                    print(f"refused: {r.label}", file=sys.stderr)
            return 1
        reg = ledger.registry
        if args.json:
            _print_json({"ok": True, "event_id": result.event_id, "from": result.from_status,
                         "to": result.to_status, "project": _project_json(ledger, result.project)})
        else:
            print(f"{reg.action(args.action).label}: project {args.project} "
                  f"{reg.status_label(result.from_status)} → {reg.status_label(result.to_status)}")
    return 0


def cmd_findings(args) -> int:
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        on = args.date or dt.date.today()
        # One sweep: the open obligations are read once, for both lists.
        swept = ledger.sweep(on, reader, include_advice=args.advice)
        findings, obligations = swept.findings, swept.obligations
        notices = ledger.notices(on)
        pending = ledger.recompute_pending
        if pending:
            print(f"warning: findings and obligations predate a rule change ({pending['reason']}, "
                  f"{pending['since']}); run 'tongchou recompute'", file=sys.stderr)
        if args.json:
            _print_json({"date": on, "jurisdiction": ledger.jurisdiction.name, "recompute_pending": bool(pending),
                         "notices": [{"code": n.code, "citation": n.citation.label, "message": n.message}
                                     for n in notices],
                         "findings": LedgerFinding.json_records(findings),
                         "obligations": LedgerObligation.json_records(obligations, on)})
            return 0
        for n in notices:
            print(f"notice: {n.message} [{n.citation.label}]")
        print(f"findings on {on}: {len(findings)}")
        for f in findings:
            print(f"  {f.severity:<9} #{f.project_id} {f.project} ({f.unit}): {f.message} [{f.citation.label}]")
        print(f"open obligations: {len(obligations)}")
        for o in obligations:
            flag = "OVERDUE " if o.overdue_on(on) else ""
            print(f"  {flag}due {o.due} #{o.project_id} {o.project} ({o.unit}): {o.message} [{o.citation.label}]")
    return 0


def cmd_scenario_run(args) -> int:
    from .scenario import run_paths
    _passed, failed = run_paths(args.paths, db_url=args.db, verbose=args.verbose,
                                jurisdiction=args.jurisdiction)
    return 1 if failed else 0


def cmd_report(args) -> int:
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        report = ledger.registry.reports.get(args.name)
        if report is None:
            raise NotFound(f"unknown report {args.name!r} (reports: {', '.join(ledger.registry.reports)})")
        options = _pairs(args.options)
        from .values import parse_record
        typed = parse_record(list(report.options), options, partial=True, what="报表选项")
        rows = report.build(ledger, reader, **typed)
        if args.json:
            _print_json({"report": report.name, "label": report.label, "rows": rows})
            return 0
        print(f"{report.label}" + (f" ({report.citation.label})" if report.citation else ""))
        print("\t".join(c.label for c in report.columns))
        for r in rows:
            print("\t".join("" if r.get(c.name) is None else str(r.get(c.name)) for c in report.columns))
    return 0


def cmd_serve(args) -> int:
    # The UI is optional for scripts; import it only when serving.
    from tongchou.ui.server import serve
    return serve(db=args.db, jurisdiction=args.jurisdiction, demo=args.demo, port=args.port,
                 address=args.address, show=args.show)


# -- parser ------------------------------------------------------------------


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``command`` naming one of the core's own
    commands (those below), only them: the other modules' and the packs'
    commands are then not imported, which was most of a command's start-up."""
    parser = argparse.ArgumentParser(prog="tongchou", description="统筹：政务信息化项目台账与规则引擎")
    parser.add_argument("--version", action="version", version=f"tongchou {__version__}")
    parser.add_argument("--db", help="ledger database: a file path (SQLite, default ./tongchou.db) "
                                     "or postgresql://... (or set TONGCHOU_DATABASE)")
    parser.add_argument("--jurisdiction", help="the pack to use (recorded in the ledger on first use)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("init", help="create or upgrade the ledger")
    p.add_argument("--demo", action="store_true", help="add the demo county (if the ledger is empty)")
    p.add_argument("--today", type=_date, help="build the demo around this date (default: today)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("migrate", help="apply pending schema migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("serve", help="start the web UI")
    p.add_argument("--demo", action="store_true", help="fill an empty ledger with the demo county first")
    p.add_argument("--port", type=_count, default=5006)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--show", action="store_true", help="open a browser")
    p.set_defaults(func=cmd_serve)

    proj = sub.add_parser("project", help="add, edit, list and show projects").add_subparsers(dest="sub", metavar="SUB")
    proj.required = True
    p = proj.add_parser("add", help="enter a project: tongchou project add --user U name=... year=... ...")
    p.add_argument("--user", required=True)
    p.add_argument("--date", type=_date, help="date of entry (default today)")
    p.add_argument("--json", action="store_true")
    p.add_argument("fields", nargs="*", metavar="FIELD=VALUE")
    p.set_defaults(func=cmd_project_add)
    p = proj.add_parser("edit", help="edit fields of a project")
    p.add_argument("project", type=_id)
    p.add_argument("--user", required=True)
    p.add_argument("--date", type=_date)
    p.add_argument("fields", nargs="+", metavar="FIELD=VALUE")
    p.set_defaults(func=cmd_project_edit)
    p = proj.add_parser("list", help="list projects")
    p.add_argument("--user", help="list as this user (a unit's user sees its own unit only)")
    p.add_argument("--status")
    p.add_argument("--unit")
    p.add_argument("--year", type=_count)
    p.add_argument("--filter", action="append", metavar="FIELD=VALUE")
    p.add_argument("--search")
    p.add_argument("--limit", type=_count)
    p.add_argument("--offset", type=_count, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_project_list)
    p = proj.add_parser("show", help="show a project with its events, obligations and findings")
    p.add_argument("project", type=_id)
    p.add_argument("--user")
    p.add_argument("--date", type=_date, help="look at findings on this date (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_project_show)

    p = sub.add_parser("act", help="take an action: tongchou act PROJECT ACTION --user U [key=value ...]")
    p.add_argument("project", type=_id)
    p.add_argument("action")
    p.add_argument("--user", required=True)
    p.add_argument("--date", type=_date, help="the day the action is taken (default today)")
    p.add_argument("--json", action="store_true")
    p.add_argument("args", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(func=cmd_act)

    p = sub.add_parser("findings", help="open findings and obligations of the whole ledger")
    p.add_argument("--date", type=_date)
    p.add_argument("--user")
    p.add_argument("--advice", action="store_true", help="include advice (recommendations)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_findings)

    sc = sub.add_parser("scenario", help="policy scenarios").add_subparsers(dest="sub", metavar="SUB")
    sc.required = True
    p = sc.add_parser("run", help="run scenario files (each case on a fresh ledger)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="also list passing cases")
    p.set_defaults(func=cmd_scenario_run)

    p = sub.add_parser("report", help="run a report: tongchou report catalogue unit=... year=...")
    p.add_argument("name")
    p.add_argument("--user")
    p.add_argument("--json", action="store_true")
    p.add_argument("options", nargs="*", metavar="OPTION=VALUE")
    p.set_defaults(func=cmd_report)

    if command is not None and command in sub.choices:
        return parser
    for module in COMMAND_MODULES:
        importlib.import_module(f"tongchou.{module}").add_commands(sub)
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        if ep.name in sub.choices:  # the core's own commands are never shadowed
            continue
        try:
            ep.load()(sub)
        except Exception as exc:  # a broken pack must not take the whole CLI down
            print(f"warning: commands of {ep.value} not loaded: {type(exc).__name__}: {exc}", file=sys.stderr)
    return parser


#: commands whose trailing KEY=VALUE words may come before or after their options
PAIRS = {"fields", "args", "options"}


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None):
    # argparse gives a trailing nargs="*" positional nothing once an option has
    # come between; collect the KEY=VALUE words it left over instead.
    args, extras = parser.parse_known_args(argv)
    target = next((name for name in PAIRS if isinstance(getattr(args, name, None), list)), None)
    for word in extras:
        if target and "=" in word and not word.startswith("-"):
            getattr(args, target).append(word)
        else:
            parser.error(f"unrecognized arguments: {word}")
    return args


def _command_word(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: its first word that is neither a global
    option nor that option's value."""
    words = iter(argv)
    for word in words:
        if word in ("--db", "--jurisdiction"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


#: set by main() when it runs as the process's command (``tongchou ...``, ``python -m tongchou``)
_WHOLE_PROCESS = False


def main(argv: Sequence[str] | None = None) -> int:
    global _WHOLE_PROCESS
    _WHOLE_PROCESS = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_word(argv))
    args = parse_args(parser, argv)
    try:
        return int(args.func(args) or 0)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except InvalidInput as exc:
        print(f"error: {exc.with_key}", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except TongchouError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:  # output piped into head: stop quietly
        sys.stderr.close()
        return 0
    except OSError as exc:  # e.g. the port to serve on is taken
        print(f"error: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
