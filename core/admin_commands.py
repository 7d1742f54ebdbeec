"""Administration commands of ``tongchou``: plugins and rule codes,
parameters, units and users, the audit chain, backup and restore, and project
documents.  Added to the parser by :func:`add_commands` (see
``tongchou.cli.COMMAND_MODULES``); errors follow the rules of :mod:`tongchou.cli`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from .cli import CliError, _actor, _date, _id, _open, _print_json
from .errors import InvalidInput, NotFound
from .ledger import SYSTEM
from .parameters import render


def _plugins_by_version(ledger) -> list[tuple[object, list[str]]]:
    """Every plugin of every rule version, once per (name, version), with the
    rule versions that load it: a plugin only an older version of the rules has
    still governs the projects of that version, so the admin must see it."""
    seen: dict[tuple[str, str], tuple[object, list[str]]] = {}
    for v in ledger.rule_versions:
        for i in v.jurisdiction.plugins:
            seen.setdefault((i.name, i.version), (i, []))[1].append(v.name)
    return sorted(seen.values(), key=lambda e: (e[0].name, e[0].version))


def cmd_plugins_list(args) -> int:
    with _open(args) as ledger:
        order = {i.name: n for n, i in enumerate(ledger.jurisdiction.plugins)}
        entries = sorted(_plugins_by_version(ledger), key=lambda e: (order.get(e[0].name, len(order)), e[0].name))
        several = len(ledger.rule_versions) > 1
        if args.json:
            _print_json([{"name": i.name, "version": i.version, "pack": i.pack, "enabled": i.enabled,
                          "articles": list(i.articles), "documents": list(i.documents),
                          "hooks": list(i.hooks), "title": i.title, "guards": list(i.guards),
                          "obligation_rules": list(i.obligation_rules), "finding_rules": list(i.finding_rules),
                          "disabled_rules": list(i.disabled_rules), "rule_versions": versions}
                         for i, versions in entries])
            return 0
        print(f"jurisdiction: {ledger.jurisdiction.name} ({ledger.jurisdiction.title}, "
              f"{ledger.jurisdiction.document})")
        if several:
            print("rule versions: " + "; ".join(
                f"{v.name} ({v.effective or '-'} – {v.expires or '-'})" for v in ledger.rule_versions))
        from .citation import article_label
        for i, versions in entries:
            arts = "、".join(article_label(a) for a in i.articles)
            state = "" if i.enabled else "  [disabled]"
            print(f"{i.name} {i.version}{state}  {i.title}  {arts}")
            print(f"    hooks: {', '.join(i.hooks) or '-'}")
            if several:
                print(f"    rule versions: {', '.join(versions)}")
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


def cmd_user_role(args) -> int:
    with _open(args) as ledger:
        a = ledger.set_role(args.name, args.role, args.unit)
        print(f"user {a.name}: role {a.role}{', unit ' + a.unit if a.unit else ''}")
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


def cmd_doc_encryption(args) -> int:
    with _open(args) as ledger:
        ledger.set_setting("encrypt_documents", args.state == "on", _actor(ledger, args.user))
        print(f"document encryption (SM4-GCM) {args.state} for documents stored from now on; "
              "stored files keep their form")
    return 0


def cmd_doc_add(args) -> int:
    from pathlib import Path

    from .documents import DocumentStore
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        path = Path(args.file)
        store = DocumentStore.for_ledger(ledger)
        try:
            if path.stat().st_size > store.max_bytes:  # refused before reading it
                raise InvalidInput("file", f"文件超过 {store.max_bytes // (1024 * 1024)} MB 上限", "文件")
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from None
        doc = store.add(ledger, args.project, args.kind, args.name or path.name, data, actor)
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
        print(f"已删除项目 {meta.project_id} 的材料 {meta.id}（{meta.kind}：{meta.filename}），"
              "该项目的义务和问题已重新推导")
    return 0


def add_commands(sub) -> None:
    plug = sub.add_parser("plugins", help="list, enable and disable plugins").add_subparsers(dest="sub", metavar="SUB")
    plug.required = True
    p = plug.add_parser("list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins_list)
    for verb, enable in (("enable", True), ("disable", False)):
        p = plug.add_parser(verb, help=f"{verb} a plugin (by name) or one rule (by code) for this ledger")
        p.add_argument("name", help="a plugin name (PACK.ai) or a rule code (PACK.acceptance.due)")
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
    p = us.add_parser("role", help="change a user's role (and unit); ends the user's web sessions")
    p.add_argument("name")
    p.add_argument("--role", required=True)
    p.add_argument("--unit")
    p.set_defaults(func=cmd_user_role)
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
    p = dc.add_parser("encryption", help="store new documents SM4-encrypted (on) or plain (off) (administrators)")
    p.add_argument("state", choices=["on", "off"])
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_encryption)
    p = dc.add_parser("add", help="store a document of a project")
    p.add_argument("project", type=_id)
    p.add_argument("file")
    p.add_argument("--kind", required=True, help="e.g. 申报材料, 合同, 验收报告")
    p.add_argument("--name", help="the name to show (default: the file's name)")
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_add)
    p = dc.add_parser("list")
    p.add_argument("project", type=_id)
    p.add_argument("--user", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doc_list)
    p = dc.add_parser("get", help="write a document to a file, after checking its SM3 digest")
    p.add_argument("document", type=_id)
    p.add_argument("output")
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_get)
    p = dc.add_parser("remove", help="take a document off its project (rules re-derive what it owes)")
    p.add_argument("document", type=_id)
    p.add_argument("--user", required=True)
    p.set_defaults(func=cmd_doc_remove)
