"""Deadline reminders: what each unit owes soon (and what it already owes late),
as a list, an e-mail per unit, or an iCalendar file.

A unit's e-mail address is a ledger setting (``unit_emails``: unit name →
address) that administrators set with ``tongchou unit set-email``; the unit
table itself has no column for it.
"""
from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

import attrs

from .db import write_transaction
from .errors import InvalidInput, PermissionDenied
from .exports import obligations_ics
from .vocabulary import Actor

EMAILS_SETTING = "unit_emails"
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\".]+(\.[^@\s<>,;\".]+)*$")


@attrs.frozen
class UnitReminder:
    """One unit's list: overdue obligations first, then those due in the window."""

    unit: str
    email: str | None
    overdue: tuple = ()
    upcoming: tuple = ()

    @property
    def items(self) -> tuple:
        return self.overdue + self.upcoming


def unit_emails(ledger) -> dict[str, str]:
    value = ledger.setting(EMAILS_SETTING, {})
    return dict(value) if isinstance(value, dict) else {}


def set_unit_email(ledger, unit: str, address: str | None, actor: Actor) -> None:
    """Give ``unit`` the address its reminders go to (None or "" removes it).
    Administrators only; audited like any setting."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以设置单位的电子邮箱")
    ledger.unit_id(unit)  # an unknown unit is an input error
    emails = unit_emails(ledger)
    address = (address or "").strip()
    if address:
        if len(address) > 254 or not _EMAIL.match(address):
            raise InvalidInput("email", f"不是有效的电子邮箱地址:{address!r}", "电子邮箱")
        emails[unit] = address
    else:
        emails.pop(unit, None)
    ledger.set_setting(EMAILS_SETTING, dict(sorted(emails.items())), actor)


def due_reminders(ledger, actor: Actor | None, on: dt.date, days: int = 30,
                  unit: str | None = None) -> list[UnitReminder]:
    """Per unit (by name), the open obligations ``actor`` may see that are
    overdue on ``on`` or fall due within ``days`` days of it (both ends
    included), in one query."""
    if days < 0:
        raise InvalidInput("days", "天数不能为负数", "提前天数")
    if unit:
        ledger.unit_id(unit)
    horizon = on + dt.timedelta(days=days + 1)
    emails = unit_emails(ledger)
    groups: dict[str, tuple[list, list]] = {}
    for o in ledger.obligations(actor, due_before=horizon):
        if unit and o.unit != unit:
            continue
        late, soon = groups.setdefault(o.unit, ([], []))
        (late if o.due < on else soon).append(o)
    return [UnitReminder(unit=name, email=emails.get(name), overdue=tuple(late), upcoming=tuple(soon))
            for name, (late, soon) in sorted(groups.items())]


def reminder_text(reminder: UnitReminder, on: dt.date, days: int) -> str:
    """The plain-text list a unit receives (and the CLI prints)."""
    lines = [f"{reminder.unit}:截至 {on},共有 {len(reminder.items)} 项期限事项"
             f"(已逾期 {len(reminder.overdue)} 项,{days} 天内到期 {len(reminder.upcoming)} 项)。", ""]
    if reminder.overdue:
        lines.append("【已逾期】")
        for o in reminder.overdue:
            lines.append(f"  {o.due}  已逾期 {(on - o.due).days} 天  #{o.project_id} {o.project}:{o.message}"
                         f"(依据 {o.citation.label})")
        lines.append("")
    if reminder.upcoming:
        lines.append(f"【{days} 天内到期】")
        for o in reminder.upcoming:
            left = (o.due - on).days
            lines.append(f"  {o.due}  {'今天到期' if left == 0 else f'还有 {left} 天'}  #{o.project_id} {o.project}:"
                         f"{o.message}(依据 {o.citation.label})")
        lines.append("")
    return "\n".join(lines)


def reminder_message(reminder: UnitReminder, on: dt.date, days: int, *, sender: str,
                     title: str) -> EmailMessage:
    """The e-mail to one unit: the list as text, and the same deadlines as an
    .ics attachment for its calendar."""
    msg = EmailMessage()
    late = f",其中 {len(reminder.overdue)} 项已逾期" if reminder.overdue else ""
    msg["Subject"] = f"【{title}】{reminder.unit}:{len(reminder.items)} 项政务信息化项目期限事项{late}"
    msg["From"] = sender
    msg["To"] = formataddr((reminder.unit, reminder.email or ""))
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="tongchou")
    msg.set_content(reminder_text(reminder, on, days) + f"\n此邮件由统筹台账系统({title})自动发送。\n")
    ics = obligations_ics(reminder.items, calendar_name=f"{title} {reminder.unit} 期限")
    msg.add_attachment(ics, maintype="text", subtype="calendar", filename="deadlines.ics")
    return msg


@attrs.frozen
class SendResult:
    sent: tuple[str, ...]
    without_email: tuple[str, ...]


def send_reminders(ledger, reminders: Sequence[UnitReminder], on: dt.date, days: int, *, host: str, port: int,
                   sender: str, starttls: bool = False, username: str | None = None,
                   password: str | None = None, actor: Actor | None = None, timeout: float = 30) -> SendResult:
    """E-mail every unit that has an address its list; units without one are
    returned so the caller can say so.  The sending is logged in the audit chain."""
    if not _EMAIL.match(sender.strip().rpartition("<")[2].rstrip(">")):
        raise InvalidInput("from", f"发件地址无效:{sender!r}", "发件人")
    title = ledger.jurisdiction.title
    to_send = [r for r in reminders if r.email and r.items]
    missing = tuple(r.unit for r in reminders if not r.email and r.items)
    sent: list[str] = []
    if to_send:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
            if username:
                smtp.login(username, password or "")
            for r in to_send:
                smtp.send_message(reminder_message(r, on, days, sender=sender, title=title))
                sent.append(r.unit)
    with write_transaction(ledger.db):
        ledger.audit.append("reminders", actor.name if actor else "system",
                            {"date": on, "days": days, "sent": sent, "without_email": list(missing),
                             "server": f"{host}:{port}"})
    return SendResult(sent=tuple(sent), without_email=missing)
