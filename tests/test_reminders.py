"""Deadline reminders: the list per unit, e-mail through a real SMTP
conversation (a small sink started here), and the .ics file parsed back."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.cli import main
from tongchou.errors import InvalidInput, PermissionDenied
from tongchou.exports import obligations_ics
from tongchou.reminders import due_reminders, send_reminders, set_unit_email, unit_emails

ON = dt.date(2026, 3, 1)


class SmtpSink:
    """Enough of RFC 5321 for smtplib: accepts every message and keeps it."""

    def __init__(self, smtputf8: bool = True):
        self.smtputf8 = smtputf8
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._session(conn.makefile("rb"), conn)

    def _session(self, rfile, conn):
        def say(line: str):
            conn.sendall(line.encode() + b"\r\n")
        say("220 sink ready")
        sender, rcpts = "", []
        while True:
            line = rfile.readline()
            if not line:
                return
            cmd = line.decode("utf-8").strip()  # a non-UTF-8 byte fails the test
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                say("250-sink")
                if self.smtputf8:
                    say("250-SMTPUTF8")
                say("250 8BITMIME")
            elif verb == "MAIL":
                sender, rcpts = cmd.partition(":")[2].strip(), []
                say("250 ok")
            elif verb == "RCPT":
                rcpts.append(cmd.partition(":")[2].strip())
                say("250 ok")
            elif verb == "DATA":
                say("354 go on")
                data = b""
                while True:
                    chunk = rfile.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                self.messages.append((sender, rcpts, data))
                say("250 kept")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")

    def close(self):
        self.sock.close()


@pytest.fixture
def sink():
    s = SmtpSink()
    yield s
    s.close()


@pytest.fixture
def ascii_sink():
    s = SmtpSink(smtputf8=False)
    yield s
    s.close()


@pytest.fixture
def deadlines(ledger, county):
    """Obligations (第二十五条: leave the third-party cloud by the contract's end)
    at known distances from ON, in two units."""
    ledger.add_unit("县水利局")
    water = ledger.add_user("shuili", "unit", "县水利局")
    made = {}
    for name, days in (("逾期一", -10), ("今天到期", 0), ("三十天", 30), ("三十一天", 31)):
        made[name] = county.project(name=name, infrastructure="third_party_cloud",
                                    third_party_cloud_expires=(ON + dt.timedelta(days=days)).isoformat())
    made["水利"] = ledger.create_project({"name": "水利云", "unit": "县水利局", "year": 2026, "category": "purchased_service",
                                        "kind": "information_system", "source": "unit_application",
                                        "infrastructure": "third_party_cloud",
                                        "third_party_cloud_expires": (ON + dt.timedelta(days=5)).isoformat()},
                                       water, dt.date(2025, 6, 1))
    return made


def test_reminders_group_per_unit_overdue_first_window_inclusive(ledger, deadlines):
    units = due_reminders(ledger, None, ON, 30)
    assert [r.unit for r in units] == ["县教育局", "县水利局"]
    edu = units[0]
    assert [o.project for o in edu.overdue] == ["逾期一"]
    assert [o.project for o in edu.upcoming] == ["今天到期", "三十天"]
    assert [o.project for o in edu.items] == ["逾期一", "今天到期", "三十天"]
    assert all(o.citation.cites(25) for o in edu.items)
    assert [o.project for o in due_reminders(ledger, None, ON, 31)[0].items][-1] == "三十一天"
    assert [r.unit for r in due_reminders(ledger, None, ON, 30, unit="县水利局")] == ["县水利局"]
    # A unit's user sees its own unit's list only.
    water = ledger.actor("shuili")
    assert [r.unit for r in due_reminders(ledger, water, ON, 30)] == ["县水利局"]
    with pytest.raises(InvalidInput):
        due_reminders(ledger, None, ON, -1)
    with pytest.raises(InvalidInput):
        due_reminders(ledger, None, ON, 30, unit="县无此局")


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(-400, 400), days=st.integers(0, 366))
def test_property_window_boundaries(offset, days):
    """An obligation due ``offset`` days from today is listed iff offset <= days,
    and counted overdue iff offset < 0 (the due day itself is on time)."""
    class O:
        def __init__(self, due):
            self.due, self.unit = due, "单位"

    class FakeLedger:
        def setting(self, key, default=None):
            return default

        def unit_id(self, name):
            return 1

        def obligations(self, actor, due_before):
            due = ON + dt.timedelta(days=offset)
            return [O(due)] if due < due_before else []
    got = due_reminders(FakeLedger(), None, ON, days)
    listed = bool(got)
    assert listed == (offset <= days)
    if listed:
        assert (len(got[0].overdue) == 1) == (offset < 0)


def test_unit_email_addresses(ledger, county):
    admin = county.users["admin"]
    set_unit_email(ledger, "县教育局", "jiaoyu@example.gov.cn", admin)
    assert unit_emails(ledger) == {"县教育局": "jiaoyu@example.gov.cn"}
    with pytest.raises(InvalidInput):
        set_unit_email(ledger, "县教育局", "not an address", admin)
    with pytest.raises(InvalidInput):
        set_unit_email(ledger, "县无此局", "a@b.cn", admin)
    with pytest.raises(PermissionDenied):
        set_unit_email(ledger, "县教育局", "a@b.cn", county.users["unit"])
    # several addresses with display names, an internationalised domain
    set_unit_email(ledger, "县教育局", "张三 <zhang@例子.中国>,li@example.cn", admin)
    assert unit_emails(ledger) == {"县教育局": "张三 <zhang@例子.中国>, li@example.cn"}
    for bad in ("zhang@例子", "a@-bad-.cn", "a b@example.cn", "张三 <zhang@>", "ok@example.cn, 坏地址",
                "x@exa mple.cn"):
        with pytest.raises(InvalidInput) as exc:
            set_unit_email(ledger, "县教育局", bad, admin)
        assert "电子邮箱" in str(exc.value) and exc.value.field == "email"
    assert unit_emails(ledger) == {"县教育局": "张三 <zhang@例子.中国>, li@example.cn"}  # nothing half-written
    set_unit_email(ledger, "县教育局", "", admin)
    assert unit_emails(ledger) == {}
    assert ledger.verify_audit().ok


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: a CRLF followed by a space or tab continues the line."""
    assert text.endswith("\r\n")
    out: list[str] = []
    for line in text.split("\r\n")[:-1]:
        if line[:1] in (" ", "\t"):
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def unescape(value: str) -> str:
    out, i = "", 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out += "\n" if nxt in "nN" else nxt
            i += 2
        else:
            out += value[i]
            i += 1
    return out


def parse_ics(data: bytes) -> list[dict[str, str]]:
    """The events' own properties (not their alarms'), by a small RFC 5545
    reader; the file is also read by the icalendar library (:func:`events`)."""
    text = data.decode("utf-8")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n")), "lines longer than 75 octets"
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    out, current, depth = [], None, 0
    for line in lines:
        if line == "BEGIN:VEVENT":
            current, depth = {}, 0
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None and line.startswith("BEGIN:"):
            depth += 1
        elif current is not None and line.startswith("END:"):
            depth -= 1
        elif current is not None and depth == 0:
            name, _, value = line.partition(":")
            current[name] = unescape(value)
    assert len(out) == len(events(data))
    return out


def events(data: bytes) -> list:
    """The VEVENTs as the icalendar library reads them."""
    import icalendar
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_ics_has_one_event_per_deadline_with_stable_uids(ledger, deadlines):
    items = [o for r in due_reminders(ledger, None, ON, 30) for o in r.items]
    one = obligations_ics(items, calendar_name="淅川县 期限", stamp=dt.datetime(2026, 3, 1, 8, tzinfo=dt.timezone.utc))
    two = obligations_ics(items, calendar_name="淅川县 期限", stamp=dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc))
    ev1, ev2 = parse_ics(one), parse_ics(two)
    assert len(ev1) == len(items) == 4
    assert [e["UID"] for e in ev1] == [e["UID"] for e in ev2] and len({e["UID"] for e in ev1}) == 4
    assert ev1[0]["DTSTAMP"] == "20260301T080000Z" and ev2[0]["DTSTAMP"] == "20260302T090000Z"
    # the UID is the project and the obligation's code, not the due date
    assert all(e["UID"] == f"{o.project_id}-{o.code}@tongchou" and o.due.strftime("%Y%m%d") not in e["UID"]
               for e, o in zip(ev1, items))
    for event, o in zip(ev1, items):
        assert event["DTSTART;VALUE=DATE"] == o.due.strftime("%Y%m%d")
        assert event["DTEND;VALUE=DATE"] == (o.due + dt.timedelta(days=1)).strftime("%Y%m%d")
        assert "第二十五条" in event["DESCRIPTION"] and o.unit in event["DESCRIPTION"]
        assert event["SUMMARY"] == f"#{o.project_id} {o.project}：{o.message}"


def test_text_with_special_characters_survives_escaping_and_folding():
    class O:
        project_id, code, due, unit = 7, "x.y", dt.date(2026, 5, 1), "县教育局"
        project = "名称;带,逗号\\与反斜杠\n换行" * 5
        message = "说明"

        class citation:
            label = "淅政办〔2025〕6号 第十八条"
    event = parse_ics(obligations_ics([O()], calendar_name="c"))[0]
    assert event["SUMMARY"] == f"#7 {O.project}：说明"


def test_reminders_are_e_mailed_per_unit(ledger, deadlines, sink, county):
    set_unit_email(ledger, "县教育局", "jiaoyu@example.gov.cn", county.users["admin"])
    units = due_reminders(ledger, None, ON, 30)
    result = send_reminders(ledger, units, ON, 30, host="127.0.0.1", port=sink.port,
                            sender="统筹 <tongchou@example.gov.cn>")
    assert result.sent == ("县教育局",) and result.without_email == ("县水利局",)
    assert len(sink.messages) == 1
    sender, rcpts, raw = sink.messages[0]
    assert rcpts == ["<jiaoyu@example.gov.cn>"] and "tongchou@example.gov.cn" in sender
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert "县教育局" in msg["Subject"] and "1 项已逾期" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert body.index("逾期一") < body.index("今天到期") < body.index("三十天") and "三十一天" not in body
    assert "第二十五条" in body and "已逾期 10 天" in body
    ics = next(p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar")
    assert len(parse_ics(ics.get_payload(decode=True))) == 3
    assert ledger.verify_audit().ok


def test_cli_remind_lists_writes_ics_and_sends(ledger, deadlines, sink, tmp_path, capsys):
    url = ledger.url
    assert main(["--db", url, "remind", "--date", ON.isoformat(), "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert out.index("县教育局") < out.index("县水利局") and "【已逾期】" in out and "三十一天" not in out
    assert main(["--db", url, "remind", "--date", ON.isoformat(), "--json", "--unit", "县水利局"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [u["unit"] for u in data["units"]] == ["县水利局"] and len(data["units"][0]["upcoming"]) == 1
    ics = tmp_path / "d.ics"
    assert main(["--db", url, "remind", "--date", ON.isoformat(), "--ics", str(ics)]) == 0
    assert len(parse_ics(ics.read_bytes())) == 4
    assert main(["--db", url, "unit", "set-email", "县水利局", "shuili@example.gov.cn", "--user", "admin1"]) == 0
    capsys.readouterr()
    assert main(["--db", url, "unit", "emails", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"县水利局": "shuili@example.gov.cn"}
    # 县教育局 has no address: the others are sent, and the command says who was missed.
    code = main(["--db", url, "remind", "--date", ON.isoformat(), "--send", "--smtp", f"127.0.0.1:{sink.port}",
                 "--from", "tongchou@example.gov.cn"])
    out, err = capsys.readouterr()
    assert code == 1 and "sent to 1 units: 县水利局" in out and "县教育局" in err
    assert [m[1] for m in sink.messages] == [["<shuili@example.gov.cn>"]]
    assert main(["--db", url, "remind", "--send"]) == 2
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    assert main(["--db", url, "remind", "--date", ON.isoformat(), "--send", "--smtp", f"127.0.0.1:{port}"]) == 2
    assert "cannot send" in capsys.readouterr().err


def test_a_moved_deadline_keeps_its_uid_and_bumps_the_sequence(ledger, deadlines):
    from tongchou.ics import ledger_calendar
    p = deadlines["三十天"]
    first = events(ledger_calendar(ledger, ledger.obligations(None, project_id=p.id), calendar_name="c",
                                   alarm_days=3))
    again = events(ledger_calendar(ledger, ledger.obligations(None, project_id=p.id), calendar_name="c"))
    (one,), (same,) = first, again
    assert one["UID"] == same["UID"] and int(one["SEQUENCE"]) == int(same["SEQUENCE"]) == 0
    # the alarm: 09:00 three days before the all-day event
    (alarm,) = one.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == dt.timedelta(days=-3, hours=9)
    assert not again[0].walk("VALARM")
    new_due = ON + dt.timedelta(days=60)
    ledger.update_project(p.id, {"third_party_cloud_expires": new_due.isoformat()}, ledger.actor("unit1"),
                          dt.date(2026, 2, 1))
    (moved,) = events(ledger_calendar(ledger, ledger.obligations(None, project_id=p.id), calendar_name="c"))
    assert moved["UID"] == one["UID"] and int(moved["SEQUENCE"]) == 1
    assert moved["DTSTART"].dt == new_due
    (still,) = events(ledger_calendar(ledger, ledger.obligations(None, project_id=p.id), calendar_name="c"))
    assert int(still["SEQUENCE"]) == 1


def test_mail_to_internationalised_addresses_with_names(ledger, deadlines, sink, county):
    admin = county.users["admin"]
    set_unit_email(ledger, "县教育局", "张三 <zhang@例子.中国>, li@example.cn", admin)
    set_unit_email(ledger, "县水利局", "王五 <王五@例子.中国>", admin)
    units = due_reminders(ledger, None, ON, 30)
    result = send_reminders(ledger, units, ON, 30, host="127.0.0.1", port=sink.port,
                            sender="tongchou@example.gov.cn", alarm_days=2)
    assert result.sent == ("县教育局", "县水利局") and not result.undelivered
    (s1, r1, raw1), (s2, r2, raw2) = sink.messages
    # the domain goes in IDNA form; a Unicode local part with SMTPUTF8
    assert r1 == ["<zhang@xn--fsqu00a.xn--fiqs8s>", "<li@example.cn>"]
    assert "SMTPUTF8" not in s1 and s1.startswith("<tongchou@example.gov.cn>")
    assert r2 == ["<王五@xn--fsqu00a.xn--fiqs8s>"] and "SMTPUTF8" in s2.upper()
    msg = email.message_from_bytes(raw1, policy=email.policy.default)
    assert [(a.display_name, a.username) for a in msg["To"].addresses] == [("张三", "zhang"), ("", "li")]
    assert msg["From"].addresses[0].display_name == "淅川县政务信息化项目台账"
    sent_at = email.utils.parsedate_to_datetime(msg["Date"])
    assert sent_at.utcoffset() == dt.datetime.now().astimezone().utcoffset() and "-0000" not in msg["Date"]
    ics = next(p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar")
    assert all(e.walk("VALARM")[0]["TRIGGER"].dt == dt.timedelta(days=-2, hours=9)
               for e in events(ics.get_payload(decode=True)))
    utf8 = email.message_from_string(raw2.decode("utf-8"), policy=email.policy.default)
    assert utf8["To"].addresses[0].username == "王五"


def test_a_server_without_smtputf8_gets_the_ascii_addresses_only(ledger, deadlines, ascii_sink, county):
    set_unit_email(ledger, "县教育局", "张三 <张三@例子.中国>, li@example.cn", county.users["admin"])
    units = due_reminders(ledger, None, ON, 30, unit="县教育局")
    result = send_reminders(ledger, units, ON, 30, host="127.0.0.1", port=ascii_sink.port,
                            sender="统筹 <tongchou@example.gov.cn>")
    assert result.sent == ("县教育局",) and len(result.undelivered) == 1 and "张三@例子.中国" in result.undelivered[0]
    ((sender, rcpts, raw),) = ascii_sink.messages
    assert rcpts == ["<li@example.cn>"] and raw.isascii()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"].addresses[0].display_name == "统筹"
