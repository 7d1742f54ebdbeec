"""Deadlines as iCalendar (RFC 5545), written with the ``icalendar`` library.

Each obligation is one all-day event on its due date.  Its UID is the
project and the obligation's code — never the due date — so a calendar that
imports a newer file updates the event when a deadline moves instead of
showing it twice.  :func:`ledger_calendar` keeps the last due date and
SEQUENCE issued for each UID in the ledger (``calendar_event``) and bumps the
SEQUENCE when the due date has moved since, as RFC 5545 3.8.7.4 asks.  An
optional VALARM reminds at 09:00 a chosen number of days before.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import icalendar
from peewee import CharField, DateField, IntegerField

from .db import write_transaction
from .models import Base

ALARM_HOUR = 9


class CalendarEvent(Base):
    """The last due date and SEQUENCE issued for a UID."""

    uid = CharField(max_length=255, primary_key=True)
    due = DateField()
    sequence = IntegerField()

    class Meta:
        table_name = "calendar_event"


def event_uid(obligation, host: str = "tongchou") -> str:
    """``<project id>-<obligation code>@<host>``: the same for an obligation
    whatever its due date."""
    return f"{obligation.project_id}-{obligation.code}@{host}"


def obligations_calendar(obligations: Sequence, *, calendar_name: str, stamp: dt.datetime | None = None,
                         host: str = "tongchou", sequences: Mapping[str, int] | None = None,
                         alarm_days: int | None = None) -> bytes:
    """The .ics of ``obligations``: an all-day event each on its due date,
    the article in the description; SEQUENCE from ``sequences`` (by UID,
    default 0); with ``alarm_days`` a display alarm at 09:00 that many days
    before the due date."""
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    stamp = stamp.astimezone(dt.timezone.utc) if stamp.tzinfo else stamp.replace(tzinfo=dt.timezone.utc)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Tongchou//deadlines//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    for o in obligations:
        uid = event_uid(o, host)
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", o.due)
        event.add("dtend", o.due + dt.timedelta(days=1))
        event.add("sequence", int((sequences or {}).get(uid, 0)))
        event.add("summary", f"#{o.project_id} {o.project}：{o.message}")
        event.add("description", f"{o.message}\n建设单位：{o.unit}；依据 {o.citation.label}")
        event.add("transp", "TRANSPARENT")
        if alarm_days is not None:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"{alarm_days} 天后到期：#{o.project_id} {o.project}：{o.message}"
                      if alarm_days else f"今天到期：#{o.project_id} {o.project}：{o.message}")
            alarm.add("trigger", dt.timedelta(days=-alarm_days, hours=ALARM_HOUR))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


def issue_sequences(obligations: Sequence, host: str = "tongchou", db=None) -> dict[str, int]:
    """The SEQUENCE of each obligation's event, recorded in the ledger: 0 the
    first time a UID is issued, one more each time its due date has moved
    since it was last issued.  Call with the ledger open (``db``: its
    database, so that SQLite takes the write lock at once)."""
    wanted = {event_uid(o, host): o.due for o in obligations}
    out: dict[str, int] = {}
    if not wanted:
        return out
    uids = list(wanted)
    with write_transaction(db if db is not None else CalendarEvent._meta.database.obj):
        known = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start:start + 500]
            known.update({r.uid: r for r in CalendarEvent.select().where(CalendarEvent.uid.in_(chunk))})
        new = []
        for uid, due in wanted.items():
            row = known.get(uid)
            if row is None:
                new.append({"uid": uid, "due": due, "sequence": 0})
                out[uid] = 0
            elif row.due != due:
                out[uid] = row.sequence + 1
                CalendarEvent.update(due=due, sequence=out[uid]).where(CalendarEvent.uid == uid).execute()
            else:
                out[uid] = row.sequence
        for start in range(0, len(new), 500):
            CalendarEvent.insert_many(new[start:start + 500]).on_conflict_ignore().execute()
    return out


def ledger_calendar(ledger, obligations: Sequence, *, calendar_name: str, alarm_days: int | None = None,
                    stamp: dt.datetime | None = None) -> bytes:
    """:func:`obligations_calendar` with the SEQUENCEs kept in ``ledger``."""
    return obligations_calendar(obligations, calendar_name=calendar_name, stamp=stamp,
                                sequences=issue_sequences(obligations, db=ledger.db), alarm_days=alarm_days)
