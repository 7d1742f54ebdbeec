"""The commands that move data in and out of the ledger:

- ``tongchou import FILE.xlsx``: a county's existing 台账 (see :mod:`tongchou.imports`);
- ``tongchou export``: the ledger or a filtered part of it, or a plugin's report
  (e.g. an annual catalogue of systems), as .xlsx or .csv;
- ``tongchou remind``: what falls due, per unit, listed, e-mailed or as .ics;
- ``tongchou unit set-email`` / ``unit emails``: where a unit's reminders go.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import smtplib
import sys
from pathlib import Path

from .cli import CliError, _actor, _count, _date, _open, _pairs, _print_json, _reader


def _write_out(data: bytes, out: str | None, default_name: str) -> str:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "standard output"
    path = Path(out or default_name)
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    return str(path)


# -- import ----------------------------------------------------------------------


def _refused_json(path: Path, message: str, report=None) -> None:
    """``--json`` always answers with a report, also for a file refused whole."""
    data = report.to_json() if report is not None else {
        "sheet": None, "header_row": None, "header_rows": [None, None], "columns": [], "ignored": [], "rows": 0,
        "good": 0, "bad_rows": 0, "dry_run": True, "imported": 0, "project_ids": [], "new_units": [],
        "skipped": [], "problems": [{"row": None, "column": "", "message": message, "text": message}]}
    _print_json({"ok": False, "file": str(path), **data, "imported": 0, "project_ids": []})


def cmd_import(args) -> int:
    from .errors import InvalidInput
    from .imports import ImportRefused, import_workbook
    path = Path(args.file)
    if not path.is_file():
        if args.json:
            _refused_json(path, f"没有这个文件：{path}")
            return 1
        raise CliError(f"no such file: {path}")
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        try:
            report = import_workbook(ledger, path, actor, mapping=args.mapping, sheet=args.sheet,
                                     dry_run=args.dry_run, partial=args.partial, date=args.date,
                                     create_units=args.create_units)
        except ImportRefused as exc:
            report = exc.report
            if args.json:
                _print_json({"ok": False, **report.to_json()})
            else:
                for p in report.problems:
                    print(p.text, file=sys.stderr)
                print(f"未导入任何项目：{report.rows} 行中有 {report.bad_rows} 行有问题"
                      "（改正后重新导入，或加 --partial 只导入无误的行）", file=sys.stderr)
            return 1
        except InvalidInput as exc:  # the file refused whole (no header, a column missing, not a workbook)
            if not args.json:
                raise
            _refused_json(path, exc.detail, getattr(exc, "report", None))
            return 1
        if args.json:
            _print_json({"ok": report.ok, **report.to_json()})
        else:
            labels = {f"@{name}": f"办理记录“{a.label}”" for name, a in ledger.registry.actions.items()}
            cols = "、".join(f"{h}→{labels.get(f, f)}" for h, f in report.columns)
            first, last = report.header_rows or (report.header_row, report.header_row)
            rows = f"第 {first} 行" if first == last else f"第 {first}–{last} 行"
            print(f"工作表“{report.sheet}”，表头在{rows}：{cols}")
            if report.ignored:
                print(f"未导入的列：{'、'.join(report.ignored)}")
            if report.skipped:
                print("跳过的行：" + "；".join(f"第 {s.row} 行（{s.reason}）" for s in report.skipped))
            for p in report.problems:
                print(p.text)
            if report.new_units:
                print(f"{'将新建的单位' if report.dry_run else '已新建的单位'}：{'、'.join(report.new_units)}")
            if report.dry_run:
                print(f"检查完毕：{report.rows} 行中 {report.good} 行可以导入，{report.bad_rows} 行有问题；未写入任何数据")
            else:
                ids = report.imported
                span = f"（编号 {ids[0]}–{ids[-1]}）" if ids else ""
                print(f"已导入 {report.rows} 行中的 {len(ids)} 行{span}"
                      + (f"；跳过有问题的 {report.bad_rows} 行" if report.bad_rows else ""))
        return 1 if report.dry_run and not report.ok else 0


# -- export ----------------------------------------------------------------------


def cmd_export(args) -> int:
    from .exports import export_projects, export_report
    fmt = args.format or (Path(args.out).suffix.lstrip(".").lower() if args.out and args.out != "-" else "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise CliError(f"unknown export format {fmt!r}: use --format xlsx or csv")
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        pairs = _pairs(args.options)
        today = args.date or dt.date.today()
        if args.report:
            data = export_report(ledger, reader, args.report, fmt, pairs, money=args.money)
            parts = [args.report] + [pairs[k] for k in sorted(pairs)]
            name = "_".join(parts) + f".{fmt}"
        else:
            filters: dict = {k: v for k, v in (("status", args.status), ("unit", args.unit),
                                               ("year", args.year)) if v}
            for key, value in pairs.items():
                filters[key] = value.split("|") if "|" in value else value
            if args.overdue:
                filters["overdue_on"] = today
            data = export_projects(ledger, reader, fmt, filters=filters, search=args.search or "", on=today,
                                   money=args.money)
            name = f"ledger_{today:%Y%m%d}.{fmt}"
        where = _write_out(data, args.out, name)
        if args.out != "-":
            print(f"exported to {where} ({len(data)} bytes)")
    return 0


# -- reminders --------------------------------------------------------------------


def _smtp_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def cmd_remind(args) -> int:
    from .ics import ledger_calendar
    from .reminders import due_reminders, reminder_text, send_reminders
    if args.days < 0:
        raise CliError("--days must not be negative")
    if args.alarm_days < 0:
        raise CliError("--alarm-days must not be negative")
    if args.send and not args.smtp:
        raise CliError("--send needs --smtp HOST:PORT")
    on = args.date or dt.date.today()
    with _open(args) as ledger:
        reader = _reader(ledger, args.user)
        reminders = due_reminders(ledger, reader, on, args.days, args.unit)
        if args.json:
            _print_json({"date": on, "days": args.days, "units": [
                {"unit": r.unit, "email": r.email, "overdue": [o.to_json(on) for o in r.overdue],
                 "upcoming": [o.to_json(on) for o in r.upcoming]} for r in reminders]})
        else:
            if not reminders:
                print(f"nothing falls due by {on + dt.timedelta(days=args.days)} and nothing is overdue")
            for r in reminders:
                print(reminder_text(r, on, args.days))
        if args.ics:
            items = [o for r in reminders for o in r.items]
            data = ledger_calendar(ledger, items, calendar_name=f"{ledger.jurisdiction.title} 期限",
                                   alarm_days=args.alarm_days)
            where = _write_out(data, args.ics, "deadlines.ics")
            if not args.json:
                print(f"calendar written to {where} ({len(items)} deadlines)")
        if args.send:
            host, port = args.smtp
            password = None
            if args.password_env:
                password = os.environ.get(args.password_env)
                if password is None:
                    raise CliError(f"environment variable {args.password_env} is not set")
            try:
                result = send_reminders(ledger, reminders, on, args.days, host=host, port=port,
                                        sender=args.sender, starttls=args.starttls, username=args.smtp_user,
                                        password=password, actor=reader, sender_name=args.sender_name,
                                        alarm_days=args.alarm_days)
            except (OSError, smtplib.SMTPException) as exc:
                raise CliError(f"cannot send through {host}:{port}: {exc}") from None
            print(f"sent to {len(result.sent)} units" + (f": {', '.join(result.sent)}" if result.sent else ""),
                  file=sys.stderr if args.json else sys.stdout)
            for line in result.undelivered:
                print(f"not delivered: {line}", file=sys.stderr)
            if result.without_email:
                print(f"no e-mail address (set one with 'tongchou unit set-email'): "
                      f"{', '.join(result.without_email)}", file=sys.stderr)
                return 1
    return 0


# -- unit e-mail addresses ----------------------------------------------------------


def cmd_unit_set_email(args) -> int:
    from .reminders import set_unit_email, unit_emails
    with _open(args) as ledger:
        actor = _actor(ledger, args.user)
        set_unit_email(ledger, args.name, args.email, actor)
        stored = unit_emails(ledger).get(args.name)
        print(f"reminders of {args.name} go to {stored}" if stored
              else f"{args.name} has no reminder address any more")
    return 0


def cmd_unit_emails(args) -> int:
    from .reminders import unit_emails
    with _open(args) as ledger:
        emails = unit_emails(ledger)
        if args.json:
            _print_json(emails)
            return 0
        for _id, name in ledger.units():
            print(f"{name}\t{emails.get(name, '-')}")
    return 0


def _unit_group(sub) -> argparse._SubParsersAction | None:
    """The sub-commands of ``tongchou unit``, to add to."""
    unit = sub.choices.get("unit")
    if unit is None:
        return None
    return next((a for a in unit._actions if isinstance(a, argparse._SubParsersAction)), None)


def add_commands(sub) -> None:
    p = sub.add_parser("import", help="import projects from a county ledger workbook (.xlsx)",
                       description="Each row becomes a project: in its initial status, or at its real status "
                                   "when the sheet has milestone dates (批复、合同签订、开工、竣工、验收、投运), "
                                   "their history recorded as imported events.  The header (one row or two "
                                   "merged rows) is found; title, 合计 and footer rows are skipped and listed.  "
                                   "By default all rows or none: one bad row and nothing is written.  --json "
                                   "always prints a report, also for a file refused whole.")
    p.add_argument("file", metavar="FILE.xlsx")
    p.add_argument("--user", required=True, help="the user importing (a unit's user imports its own unit's projects)")
    p.add_argument("--mapping", metavar="MAP.yaml", help="column mapping (see docs/import-export.md)")
    p.add_argument("--sheet", metavar="NAME", help="the sheet to read (default: the first)")
    p.add_argument("--dry-run", action="store_true", help="check every row and report; write nothing")
    p.add_argument("--partial", action="store_true", help="import the good rows even when others have problems")
    p.add_argument("--create-units", action="store_true", help="add units the file names that the ledger lacks (admin)")
    p.add_argument("--date", type=_date, help="date of entry of the projects (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export the ledger (or a filtered part) or a report to .xlsx or .csv",
                       description="Filters as in 'project list': --status/--unit/--year and FIELD=VALUE "
                                   "(several values as A|B).  With --report NAME the KEY=VALUE words are the "
                                   "report's options, e.g. --report catalogue unit=县教育局 year=2026.")
    p.add_argument("--format", choices=("xlsx", "csv"), help="default: from --out's suffix, else xlsx")
    p.add_argument("--out", metavar="FILE", help="where to write ('-' for standard output)")
    p.add_argument("--user", help="export as this user (a unit's user gets its own unit only)")
    p.add_argument("--report", metavar="NAME", help="export this report instead of the ledger")
    p.add_argument("--status")
    p.add_argument("--unit")
    p.add_argument("--year", type=_count)
    p.add_argument("--search", help="project name contains")
    p.add_argument("--overdue", action="store_true", help="only projects with an overdue obligation")
    p.add_argument("--date", type=_date, help="the day overdue is judged on (default today)")
    p.add_argument("--money", choices=("yuan", "wan"), default="yuan",
                   help="amounts in 元 (yuan, default) or 万元 (wan)")
    p.add_argument("options", nargs="*", metavar="KEY=VALUE")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("remind", help="what falls due soon and what is overdue, per unit; e-mail or .ics")
    p.add_argument("--days", type=_count, default=30, help="window in days (default 30)")
    p.add_argument("--date", type=_date, help="the day to look from (default today)")
    p.add_argument("--unit", help="only this unit")
    p.add_argument("--user", help="as this user (a unit's user sees its own unit only)")
    p.add_argument("--ics", metavar="FILE", help="also write the deadlines as an iCalendar file")
    p.add_argument("--send", action="store_true", help="e-mail each unit its list")
    p.add_argument("--smtp", type=_smtp_address, metavar="HOST:PORT")
    p.add_argument("--from", dest="sender", default="tongchou@localhost", metavar="ADDR",
                   help="sender address, optionally with a name: '统筹台账 <tongchou@example.cn>'")
    p.add_argument("--from-name", dest="sender_name", metavar="NAME",
                   help="display name of the sender (default: '<county>政务信息化项目台账')")
    p.add_argument("--alarm-days", type=int, default=3, metavar="N",
                   help="calendar alarm N days before each deadline, at 09:00 (default 3; 0: on the day)")
    p.add_argument("--starttls", action="store_true")
    p.add_argument("--smtp-user", metavar="NAME", help="SMTP login name")
    p.add_argument("--password-env", metavar="VAR", help="environment variable holding the SMTP password")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_remind)

    units = _unit_group(sub)
    if units is not None:
        p = units.add_parser("set-email", help="set the addresses a unit's reminders go to ('' removes them)")
        p.add_argument("name")
        p.add_argument("email", help="one address or a comma-separated list, names allowed: "
                                     "'张三 <zhang@例子.中国>, li@example.cn'")
        p.add_argument("--user", required=True)
        p.set_defaults(func=cmd_unit_set_email)
        from .import_headers import add_alias_commands
        add_alias_commands(units)
        p = units.add_parser("emails", help="list the units' reminder addresses")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_unit_emails)
