"""The ``tongchou`` command.

Every command opens the ledger given by ``--db`` (or ``TONGCHOU_DATABASE``,
default ``./tongchou.db``).  Errors print one line naming what is wrong and
exit non-zero: 2 for bad input or configuration, 1 for a refused action or a
failed check.  ``--json`` output is stable for scripts.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
from importlib.metadata import entry_points
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .dates import parse_date
from .errors import InvalidInput, NotFound, Refused, TongchouError
from .ledger import SYSTEM, Ledger
from .parameters import render
from .values import to_json_value


class CliError(TongchouError):
    pass


#: Modules of ``tongchou`` that add commands of their own: each defines
#: ``add_commands(subparsers)`` and uses the helpers of this module.
COMMAND_MODULES: tuple[str, ...] = ("official_commands", "whatif_commands", "plugin_commands", "io_commands",
                                     "versions_commands", "todo_commands")
#: Entry-point group through which installed packs add commands: each entry
#: point names a callable ``add_commands(subparsers)``, as above.
COMMANDS_GROUP = "tongchou.commands"


def _date(text: str) -> dt.date:
    try:
        return parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


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
    print(json.dumps(to_json_value(data), ensure_ascii=False, indent=2, sort_keys=True))


def _open(args) -> Ledger:
    return Ledger.open(args.db, jurisdiction=getattr(args, "jurisdiction", None))


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
    from .db import migrate, open_database
    db = open_database(args.db)
    db.connect()
    try:
        applied = migrate(db)
    finally:
        db.close()
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
        expired = "  (已失效)" if rules.expired(on) else ""
        about = f"({rules.description})" if rules.description else ""
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
        findings = ledger.findings(on, reader, include_advice=args.advice)
        obligations = ledger.obligations(reader)
        notices = ledger.notices(on)
        pending = ledger.recompute_pending
        if pending:
            print(f"warning: findings and obligations predate a rule change ({pending['reason']}, "
                  f"{pending['since']}); run 'tongchou recompute'", file=sys.stderr)
        if args.json:
            _print_json({"date": on, "jurisdiction": ledger.jurisdiction.name, "recompute_pending": bool(pending),
                         "notices": [{"code": n.code, "citation": n.citation.label, "message": n.message}
                                     for n in notices],
                         "findings": [f.to_json() for f in findings],
                         "obligations": [o.to_json(on) for o in obligations]})
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


def cmd_plugins_list(args) -> int:
    with _open(args) as ledger:
        infos = ledger.jurisdiction.plugins
        if args.json:
            _print_json([{"name": i.name, "version": i.version, "pack": i.pack, "enabled": i.enabled,
                          "articles": list(i.articles), "documents": list(i.documents),
                          "hooks": list(i.hooks), "title": i.title, "guards": list(i.guards),
                          "obligation_rules": list(i.obligation_rules), "finding_rules": list(i.finding_rules),
                          "disabled_rules": list(i.disabled_rules)}
                         for i in infos])
            return 0
        print(f"jurisdiction: {ledger.jurisdiction.name} ({ledger.jurisdiction.title}, "
              f"{ledger.jurisdiction.document})")
        for i in infos:
            from .citation import article_label
            arts = "、".join(article_label(a) for a in i.articles)
            state = "" if i.enabled else "  [disabled]"
            print(f"{i.name} {i.version}{state}  {i.title}  {arts}")
            print(f"    hooks: {', '.join(i.hooks) or '-'}")
            for label, codes in (("documents", i.documents), ("guards", i.guards),
                                 ("obligation rules", i.obligation_rules), ("finding rules", i.finding_rules),
                                 ("disabled rules", i.disabled_rules)):
                if codes:
                    print(f"    {label}: {', '.join(codes)}")
    return 0


def cmd_plugins_toggle(args, enable: bool) -> int:
    """Switch a plugin (by name) or one rule (by code) on or off for this ledger."""
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        # every version's plugins (a plugin only an older version of the rules has)
        names = {i.name for v in ledger.rule_versions for i in v.jurisdiction.plugins}
        plugins = set(ledger.setting("disabled_plugins", []))
        codes = set(ledger.setting("disabled_rules", []))
        if args.name in names:
            key, what, chosen = "disabled_plugins", "plugin", plugins
        elif args.name in codes or any(not v.jurisdiction.registry.unknown_codes([args.name])
                                       for v in ledger.rule_versions):
            key, what, chosen = "disabled_rules", "rule", codes
        else:
            raise NotFound(f"unknown plugin or rule code {args.name!r} (plugins: {', '.join(sorted(names))}; "
                           "rule codes: see 'tongchou plugins list')")
        (chosen.discard if enable else chosen.add)(args.name)
        # Load it before saving, so a combination that does not hold together is refused.
        from .packs import load_jurisdiction
        load_jurisdiction(ledger.jurisdiction.name, disabled=sorted(plugins | codes))
        ledger.set_setting(key, sorted(chosen), actor)
        if enable and what == "rule" and any(args.name in p.disable for p in ledger.jurisdiction.chain):
            print(f"note: pack {ledger.jurisdiction.name!r} itself disables {args.name}", file=sys.stderr)
        print(f"{what} {args.name} {'enabled' if enable else 'disabled'}; "
              "run 'tongchou recompute' to re-derive findings and obligations")
    return 0


def cmd_params_show(args) -> int:
    with _open(args) as ledger:
        on = args.date or dt.date.today()
        # The values of the version of the rules in force on that date, not the
        # newest version's (which may not be in force yet).
        version = ledger.version_on(on)
        params = ledger.rules_for(version=version).params
        rows = []
        for name, spec in sorted(params.specs.items()):
            rows.append({"name": name, "value": render(spec.type, params.value(name, on)),
                         "description": spec.description, "citation": spec.citation.label,
                         "plugin": spec.plugin,
                         "values": [{"effective": d, "value": render(spec.type, v), "source": s}
                                    for d, v, s in params.history(name)]})
        if args.json:
            _print_json({"date": on, "version": version.name, "parameters": rows})
            return 0
        print(f"parameters in force on {on} (rules version {version.name}):")
        for r in rows:
            print(f"  {r['name']} = {r['value']}  ({r['description']}; {r['citation']})")
            for v in r["values"]:
                print(f"      from {v['effective']}: {v['value']}  [{v['source']}]")
    return 0


def cmd_params_set(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        ledger.set_parameter(args.name, args.effective, args.value, actor, args.note or "")
        n = ledger.recompute_all()
        print(f"{args.name} = {args.value} from {args.effective}; {n} projects re-derived")
    return 0


def cmd_recompute(args) -> int:
    with _open(args) as ledger:
        print(f"{ledger.recompute_all()} projects re-derived")
    return 0


def cmd_scenario_run(args) -> int:
    from .scenario import run_paths
    _passed, failed = run_paths(args.paths, db_url=args.db, verbose=args.verbose,
                                jurisdiction=args.jurisdiction)
    return 1 if failed else 0


def cmd_unit_add(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user) if args.user else SYSTEM
        ledger.add_unit(args.name, actor)
        print(f"unit added: {args.name}")
    return 0


def _read_password(args) -> str | None:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n")
    return None


def cmd_user_add(args) -> int:
    with _open(args) as ledger:
        password = _read_password(args)
        a = ledger.add_user(args.name, args.role, args.unit, display_name=args.display_name or "",
                            password=password)
        print(f"user added: {a.name} ({a.role}{', ' + a.unit if a.unit else ''})"
              + ("" if password else "; no password yet: set one with 'tongchou user passwd'"))
    return 0


def cmd_user_passwd(args) -> int:
    with _open(args) as ledger:
        password = _read_password(args)
        if password is None:
            import getpass
            password = getpass.getpass(f"new password for {args.name}: ")
        ledger.set_password(args.name, password)
        print(f"password set for {args.name}")
    return 0


def cmd_user_disable(args, disabled: bool) -> int:
    with _open(args) as ledger:
        ledger.set_disabled(args.name, disabled)
        print(f"user {args.name} {'disabled' if disabled else 'enabled'}")
    return 0


def cmd_user_list(args) -> int:
    with _open(args) as ledger:
        users = ledger.users()
        if args.json:
            _print_json(users)
            return 0
        for u in users:
            print(f"{u['name']:<16} {u['role']:<11} {u['unit'] or '-':<14} {u['display_name']}"
                  f"{'  [disabled]' if u['disabled'] else ''}")
    return 0


def _anchor_text(value: str | None) -> str | None:
    """An anchor given on the command line: the text itself, or a file holding it."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if not value.startswith("tongchou-anchor") and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value


def cmd_audit_verify(args) -> int:
    with _open(args) as ledger:
        result = ledger.verify_audit(_anchor_text(args.anchor))
        if result.ok:
            print(f"audit chain intact: {result.checked} entries verified; every sealed row checks"
                  + ("; the anchor is still in the chain" if args.anchor else ""))
            return 0
        where = f"first broken entry: {result.first_bad}; " if result.first_bad else ""
        print(f"audit chain BROKEN: {where}{result.problem}", file=sys.stderr)
        for table, key, why in result.tampered:
            print(f"tampered row: table {table} row {key}: {why}", file=sys.stderr)
        return 1


def cmd_audit_anchor(args) -> int:
    with _open(args) as ledger:
        text = ledger.anchor()
    if args.out:
        import os
        out = Path(args.out).expanduser()
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        print(f"anchor written to {out}; keep it outside this server (verify with "
              f"tongchou audit verify --anchor {out})")
    else:
        print(text)
    return 0


def cmd_audit_reseal(args) -> int:
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        n = ledger.reseal(actor)
    print(f"resealed {n} rows (audited); run tongchou audit verify first: resealing accepts the rows as they are")
    return 0


def cmd_audit_rotate(args) -> int:
    with _open(args) as ledger:
        first = ledger.rotate_audit_key()
        print(f"audit key rotated: entries from {first} on are signed with the new key "
              f"(added to {ledger.key_path}; keep a copy of that file)")
    return 0


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


def cmd_backup(args) -> int:
    from .backup import backup
    print(f"backup written: {backup(args.db, args.file)}")
    return 0


def cmd_restore(args) -> int:
    from .backup import restore_ledger
    where, kept = restore_ledger(args.db, args.file, key_file=Path(args.key_file) if args.key_file else None,
                          anchor=_anchor_text(args.anchor))
    print(f"ledger restored from {args.file} into {where}"
          + (f"; the replaced ledger is kept as {kept}" if kept else ""))
    return 0


def cmd_doc_add(args) -> int:
    from pathlib import Path

    from .documents import DocumentStore
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        path = Path(args.file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from None
        doc = DocumentStore.for_ledger(ledger).add(ledger, args.project, args.kind, args.name or path.name,
                                                   data, actor)
        print(f"document {doc.id} stored: {doc.filename} ({doc.size} bytes, SM3 {doc.digest[:16]}…"
              f"{', SM4-encrypted' if doc.encrypted else ''})")
    return 0


def cmd_doc_list(args) -> int:
    from .documents import DocumentStore
    with _open(args) as ledger:
        docs = DocumentStore.for_ledger(ledger).list(ledger, args.project, _actor(ledger, args.user))
        if args.json:
            import attrs
            _print_json([attrs.asdict(d) for d in docs])
            return 0
        for d in docs:
            print(f"{d.id:>5}  {d.kind}  {d.filename}  {d.size} bytes  SM3 {d.digest[:16]}…")
    return 0


def cmd_doc_get(args) -> int:
    from pathlib import Path

    from .documents import DocumentStore
    with _open(args) as ledger:
        meta, data = DocumentStore.for_ledger(ledger).get(ledger, args.document, _actor(ledger, args.user))
        out = Path(args.output)
        if out.exists():
            raise CliError(f"{out} already exists")
        out.write_bytes(data)
        print(f"document {meta.id} ({meta.filename}) written to {out}; SM3 digest checked")
    return 0


def cmd_doc_remove(args) -> int:
    from .documents import DocumentStore
    with _open(args) as ledger:
        meta = DocumentStore.for_ledger(ledger).remove(ledger, args.document, _actor(ledger, args.user))
        print(f"已删除项目 {meta.project_id} 的材料 {meta.id}({meta.kind}:{meta.filename}),"
              "该项目的义务和问题已重新推导")
    return 0


def cmd_serve(args) -> int:
    # The UI is optional for scripts; import it only when serving.
    from tongchou.ui.server import serve
    return serve(db=args.db, jurisdiction=args.jurisdiction, demo=args.demo, port=args.port,
                 address=args.address, show=args.show)


# -- parser ------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tongchou", description="统筹:政务信息化项目台账与规则引擎")
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
    p.add_argument("--port", type=int, default=5006)
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
    p.add_argument("project", type=int)
    p.add_argument("--user", required=True)
    p.add_argument("--date", type=_date)
    p.add_argument("fields", nargs="+", metavar="FIELD=VALUE")
    p.set_defaults(func=cmd_project_edit)
    p = proj.add_parser("list", help="list projects")
    p.add_argument("--user", help="list as this user (a unit's user sees its own unit only)")
    p.add_argument("--status")
    p.add_argument("--unit")
    p.add_argument("--year", type=int)
    p.add_argument("--filter", action="append", metavar="FIELD=VALUE")
    p.add_argument("--search")
    p.add_argument("--limit", type=int)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_project_list)
    p = proj.add_parser("show", help="show a project with its events, obligations and findings")
    p.add_argument("project", type=int)
    p.add_argument("--user")
    p.add_argument("--date", type=_date, help="look at findings on this date (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_project_show)

    p = sub.add_parser("act", help="take an action: tongchou act PROJECT ACTION --user U [key=value ...]")
    p.add_argument("project", type=int)
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

    plug = sub.add_parser("plugins", help="list, enable and disable plugins").add_subparsers(dest="sub", metavar="SUB")
    plug.required = True
    p = plug.add_parser("list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins_list)
    for verb, enable in (("enable", True), ("disable", False)):
        p = plug.add_parser(verb, help=f"{verb} a plugin (by name) or one rule (by code) for this ledger")
        p.add_argument("name", help="a plugin name (xichuan.ai) or a rule code (xichuan.acceptance.due)")
        p.add_argument("--user", required=True)
        p.set_defaults(func=lambda a, e=enable: cmd_plugins_toggle(a, e))

    par = sub.add_parser("params", help="dated parameters").add_subparsers(dest="sub", metavar="SUB")
    par.required = True
    p = par.add_parser("show")
    p.add_argument("--date", type=_date)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_params_show)
    p = par.add_parser("set", help="give a parameter a new value from a date (administrators)")
    p.add_argument("name")
    p.add_argument("value")
    p.add_argument("--from", dest="effective", type=_date, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--note")
    p.set_defaults(func=cmd_params_set)

    p = sub.add_parser("recompute", help="re-derive every project's findings and obligations")
    p.set_defaults(func=cmd_recompute)

    sc = sub.add_parser("scenario", help="policy scenarios").add_subparsers(dest="sub", metavar="SUB")
    sc.required = True
    p = sc.add_parser("run", help="run scenario files (each case on a fresh ledger)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-v", "--verbose", action="store_true", help="also list passing cases")
    p.set_defaults(func=cmd_scenario_run)

    un = sub.add_parser("unit", help="units").add_subparsers(dest="sub", metavar="SUB")
    un.required = True
    p = un.add_parser("add")
    p.add_argument("name")
    p.add_argument("--user")
    p.set_defaults(func=cmd_unit_add)

    us = sub.add_parser("user", help="users").add_subparsers(dest="sub", metavar="SUB")
    us.required = True
    p = us.add_parser("add")
    p.add_argument("name")
    p.add_argument("--role", required=True)
    p.add_argument("--unit")
    p.add_argument("--display-name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user_add)
    p = us.add_parser("passwd", help="set a user's password")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_user_passwd)
    for verb, flag in (("disable", True), ("enable", False)):
        p = us.add_parser(verb, help=f"{verb} a user's login")
        p.add_argument("name")
        p.set_defaults(func=lambda a, f=flag: cmd_user_disable(a, f))
    p = us.add_parser("list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_user_list)

    au = sub.add_parser("audit", help="the audit chain").add_subparsers(dest="sub", metavar="SUB")
    au.required = True
    p = au.add_parser("verify", help="check that no audit entry, event or sealed row was changed, removed or "
                                     "inserted")
    p.add_argument("--anchor", help="an anchor from `audit anchor` (the text or a file): the chain must still "
                                    "hold it")
    p.set_defaults(func=cmd_audit_verify)
    p = au.add_parser("anchor", help="print the chain's head to keep elsewhere (detects a cut-back tail)")
    p.add_argument("--out", help="write it to this new file instead")
    p.set_defaults(func=cmd_audit_anchor)
    p = au.add_parser("reseal", help="seal every row as it is now (after an upgrade, by an administrator)")
    p.add_argument("--user", help="the administrator doing it")
    p.set_defaults(func=cmd_audit_reseal)
    p = au.add_parser("rotate-key", help="sign new entries with a fresh key (old entries keep verifying)")
    p.set_defaults(func=cmd_audit_rotate)

    p = sub.add_parser("backup", help="write a consistent copy of the ledger to FILE")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="verify the backup FILE, then switch the ledger to it (the replaced one is kept)")
    p.add_argument("file")
    p.add_argument("--key-file", help="the ledger's audit key file (default: the ledger's own)")
    p.add_argument("--anchor", help="an anchor (text or file) the backup's chain must hold")
    p.set_defaults(func=cmd_restore)

    dc = sub.add_parser("doc", help="project documents").add_subparsers(dest="sub", metavar="SUB")
    dc.required = True
    p = dc.add_parser("add", help="store a document of a project")
    p.add_argument("project", type=int)
    p.add_argument("file")
    p.add_argument("--kind", required=True, help="e.g. 申报材料, 合同, 验收报告")
    p.add_argument("--name", help="the name to show (default: the file's name)")
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_add)
    p = dc.add_parser("list")
    p.add_argument("project", type=int)
    p.add_argument("--user", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doc_list)
    p = dc.add_parser("get", help="write a document to a file, after checking its SM3 digest")
    p.add_argument("document", type=int)
    p.add_argument("output")
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_get)
    p = dc.add_parser("remove", help="take a document off its project (rules re-derive what it owes)")
    p.add_argument("document", type=int)
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_remove)

    p = sub.add_parser("report", help="run a report: tongchou report catalogue unit=... year=...")
    p.add_argument("name")
    p.add_argument("--user")
    p.add_argument("--json", action="store_true")
    p.add_argument("options", nargs="*", metavar="OPTION=VALUE")
    p.set_defaults(func=cmd_report)

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse_args(parser, argv)
    try:
        return int(args.func(args) or 0)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except (InvalidInput, NotFound) as exc:
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
