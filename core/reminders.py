"""Deadline reminders: what each unit owes soon (and what it already owes late),
as a list, an e-mail per unit, or an iCalendar file.

A unit's e-mail addresses are a ledger setting (``unit_emails``: unit name →
the addresses as one header-style list, ``张三 <zhang@例子.中国>, li@example.cn``)
that administrators set with ``tongchou unit set-email``; the unit table
itself has no column for it.  Addresses may be internationalised: the domain
goes over SMTP in its IDNA (``xn--``) form; a non-ASCII local part needs a
server that offers SMTPUTF8 (RFC 6531), and is reported as not delivered when
the server does not.
"""
from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Sequence
from email import errors as email_errors
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import attrs

from .db import write_transaction
from .errors import InvalidInput, PermissionDenied
from .ics import ledger_calendar
from .vocabulary import Actor

EMAILS_SETTING = "unit_emails"
DEFAULT_ALARM_DAYS = 3
_HEADERS = HeaderRegistry()
_LOCAL_BAD = set(' "(),:;<>@[\\]')


def _idna(domain: str, single_label: bool = True) -> str:
    """The ASCII (IDNA) form of a domain; ValueError when it is not a valid one."""
    labels = domain.rstrip(".").split(".")
    if (len(labels) < 2 and not single_label) or any(not label for label in labels):
        raise ValueError("域名须含“.”且各段不能为空")
    out = []
    for label in labels:
        try:
            ascii_label = label.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"域名段“{label}”无效") from None
        if not all(c.isalnum() or c == "-" for c in ascii_label) or ascii_label.startswith("-") \
                or ascii_label.endswith("-") or len(ascii_label) > 63:
            raise ValueError(f"域名段“{label}”无效")
        out.append(ascii_label.lower())
    return ".".join(out)


def parse_addresses(text: str, field: str = "email", label: str = "电子邮箱", *,
                    local_domain: bool = False) -> tuple[Address, ...]:
    """The addresses of a header-style list (``张三 <zhang@例子.中国>, li@example.cn``),
    each checked: a local part, a domain that IDNA can encode (with a dot,
    unless ``local_domain``: the sender may be ``tongchou@localhost``).
    Raises InvalidInput naming ``field`` and the bad address."""
    text = (text or "").strip()
    if not text:
        return ()
    if len(text) > 2000:
        raise InvalidInput(field, "地址列表过长（不超过2000字）", label)
    header = _HEADERS("To", text)
    found = list(header.addresses)
    # a Unicode local part is allowed (sent with SMTPUTF8, RFC 6531)
    defects = [d for d in header.defects if not isinstance(d, email_errors.NonASCIILocalPartDefect)]
    if defects or not found:
        raise InvalidInput(field, f"无法识别的电子邮箱地址“{text}”（多个地址用逗号分隔，"
                                  f"如“张三 <zhang@example.cn>, li@example.cn”）", label)
    for i, addr in enumerate(found, 1):
        local, domain = addr.username, addr.domain
        shown = str(addr)
        if not local or not domain or len(local) > 64 or any(c in _LOCAL_BAD or ord(c) < 32 for c in local):
            raise InvalidInput(field, f"第{i}个地址“{shown}”不是有效的电子邮箱地址", label)
        try:
            _idna(domain, single_label=local_domain)
        except ValueError as exc:
            raise InvalidInput(field, f"第{i}个地址“{shown}”的域名无效：{exc}", label) from None
    return tuple(found)


def _format_list(addresses: Sequence[Address]) -> str:
    return ", ".join(str(a) for a in addresses)


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

    @property
    def addresses(self) -> tuple[Address, ...]:
        """The unit's addresses (``email`` is their list as one string)."""
        return parse_addresses(self.email or "")


def unit_emails(ledger) -> dict[str, str]:
    value = ledger.setting(EMAILS_SETTING, {})
    return dict(value) if isinstance(value, dict) else {}


def set_unit_email(ledger, unit: str, address: str | None, actor: Actor) -> None:
    """Give ``unit`` the addresses its reminders go to: one address or a
    comma-separated list, each with an optional display name
    (``张三 <zhang@例子.中国>, li@example.cn``); None or "" removes them.
    A bad address is refused (InvalidInput naming the field and the address).
    Administrators only; audited like any setting."""
    if actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以设置单位的电子邮箱")
    ledger.unit_id(unit)  # an unknown unit is an input error
    emails = unit_emails(ledger)
    addresses = parse_addresses(address or "")
    if addresses:
        emails[unit] = _format_list(addresses)
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
    lines = [f"{reminder.unit}：截至 {on}，共有 {len(reminder.items)} 项期限事项"
             f"（已逾期 {len(reminder.overdue)} 项，{days} 天内到期 {len(reminder.upcoming)} 项）。", ""]
    if reminder.overdue:
        lines.append("【已逾期】")
        for o in reminder.overdue:
            lines.append(f"  {o.due}  已逾期 {(on - o.due).days} 天  #{o.project_id} {o.project}：{o.message}"
                         f"（依据 {o.citation.label}）")
        lines.append("")
    if reminder.upcoming:
        lines.append(f"【{days} 天内到期】")
        for o in reminder.upcoming:
            left = (o.due - on).days
            lines.append(f"  {o.due}  {'今天到期' if left == 0 else f'还有 {left} 天'}  #{o.project_id} {o.project}："
                         f"{o.message}（依据 {o.citation.label}）")
        lines.append("")
    return "\n".join(lines)


def _envelope(addr: Address) -> str:
    """The SMTP address: the domain in IDNA form, the local part as it is."""
    return f"{addr.username}@{_idna(addr.domain)}"


def _needs_utf8(addr: Address) -> bool:
    return not addr.username.isascii()


def _header_address(addr: Address, utf8: bool) -> Address:
    """An address as the header shows it: Unicode under SMTPUTF8, else with the
    IDNA domain (the display name is RFC 2047-encoded either way)."""
    return addr if utf8 else Address(addr.display_name, addr.username, _idna(addr.domain))


def reminder_message(reminder: UnitReminder, on: dt.date, days: int, *, sender: str | Address,
                     title: str, recipients: Sequence[Address] | None = None, utf8: bool = False,
                     calendar: bytes | None = None) -> EmailMessage:
    """The e-mail to one unit: the list as text, and the same deadlines as an
    .ics attachment for its calendar.  ``utf8``: the message goes with
    SMTPUTF8 (addresses in Unicode)."""
    msg = EmailMessage(policy=email_policy.SMTPUTF8 if utf8 else email_policy.SMTP)
    late = f"，其中 {len(reminder.overdue)} 项已逾期" if reminder.overdue else ""
    msg["Subject"] = f"【{title}】{reminder.unit}：{len(reminder.items)} 项政务信息化项目期限事项{late}"
    frm = sender if isinstance(sender, Address) else parse_addresses(sender, "from", "发件人", local_domain=True)[0]
    msg["From"] = _header_address(frm, utf8)
    to = recipients if recipients is not None else reminder.addresses
    msg["To"] = [_header_address(a, utf8) for a in to]
    # the local time zone, so staff see when it was sent (not -0000)
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="tongchou")
    msg.set_content(reminder_text(reminder, on, days) + f"\n此邮件由统筹台账系统（{title}）自动发送。\n")
    ics = calendar if calendar is not None else ledger_free_calendar(reminder, title)
    msg.add_attachment(ics, maintype="text", subtype="calendar", filename="deadlines.ics")
    return msg


def ledger_free_calendar(reminder: UnitReminder, title: str, alarm_days: int | None = DEFAULT_ALARM_DAYS) -> bytes:
    from .ics import obligations_calendar
    return obligations_calendar(reminder.items, calendar_name=f"{title} {reminder.unit} 期限", alarm_days=alarm_days)


@attrs.frozen
class SendResult:
    sent: tuple[str, ...]
    without_email: tuple[str, ...]
    #: "unit: address" not delivered (a non-ASCII local part on a server
    #: without SMTPUTF8, or refused by the server)
    undelivered: tuple[str, ...] = ()


def _sender(sender: str, name: str | None, title: str) -> Address:
    (addr,) = parse_addresses(sender, "from", "发件人", local_domain=True)[:1] or (None,)
    if addr is None:
        raise InvalidInput("from", "发件地址不能为空", "发件人")
    display = addr.display_name or name or f"{title}政务信息化项目台账"
    return Address(display, addr.username, addr.domain)


def send_reminders(ledger, reminders: Sequence[UnitReminder], on: dt.date, days: int, *, host: str, port: int,
                   sender: str, starttls: bool = False, username: str | None = None,
                   password: str | None = None, actor: Actor | None = None, timeout: float = 30,
                   sender_name: str | None = None, alarm_days: int | None = DEFAULT_ALARM_DAYS) -> SendResult:
    """E-mail every unit that has addresses its list (one message per unit, to
    all its addresses); units without one are returned so the caller can say
    so.  The .ics attached keeps each event's SEQUENCE in the ledger.  The
    From header carries ``sender_name`` (default: the jurisdiction's ledger)
    unless ``sender`` names itself.  The sending is logged in the audit chain."""
    title = ledger.jurisdiction.title
    frm = _sender(sender, sender_name, title)
    to_send = [r for r in reminders if r.email and r.items]
    missing = tuple(r.unit for r in reminders if not r.email and r.items)
    sent: list[str] = []
    undelivered: list[str] = []
    if to_send:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if username:
                smtp.login(username, password or "")
            smtputf8 = smtp.has_extn("smtputf8")
            for r in to_send:
                addresses = list(r.addresses)
                if not smtputf8:
                    undelivered += [f"{r.unit}: {a.addr_spec}（服务器不支持 SMTPUTF8）" for a in addresses
                                    if _needs_utf8(a)]
                    addresses = [a for a in addresses if not _needs_utf8(a)]
                if not addresses:
                    continue
                utf8 = any(_needs_utf8(a) for a in addresses) or _needs_utf8(frm)
                calendar = ledger_calendar(ledger, r.items, calendar_name=f"{title} {r.unit} 期限",
                                           alarm_days=alarm_days)
                msg = reminder_message(r, on, days, sender=frm, title=title, recipients=addresses, utf8=utf8,
                                       calendar=calendar)
                options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
                refused = smtp.sendmail(_envelope(frm), [_envelope(a) for a in addresses], msg.as_bytes(),
                                        mail_options=options)
                undelivered += [f"{r.unit}: {a}" for a in refused]
                sent.append(r.unit)
    with write_transaction(ledger.db):
        ledger.audit.append("reminders", actor.name if actor else "system",
                            {"date": on, "days": days, "sent": sent, "without_email": list(missing),
                             "undelivered": undelivered, "server": f"{host}:{port}"})
    return SendResult(sent=tuple(sent), without_email=missing, undelivered=tuple(undelivered))
