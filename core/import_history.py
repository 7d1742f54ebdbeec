"""Bringing a project in at its real status: the dated milestones of a 台账
(批复日期和文号, 合同签订日期, 开工、竣工、验收日期, 投运日期) become the
project's history, one *imported* event per milestone.

Which action a milestone is, and in what order milestones come, is the pack's
word (:class:`Milestone` through the ``tongchou_import_vocabulary`` hook), not
the core's.  An imported event is an ordinary event of that action whose
arguments carry ``"imported": true`` (and the 文号 when the cell gives one);
its audit entry says ``"imported": true`` too.  No guard is asked: the
milestone happened before the ledger existed, and what the rules derive from
it (an acceptance still owed, a deadline already missed) is derived as for
any history.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import attrs

from .vocabulary import HistoryEvent

#: the argument an imported event carries, and the one the 文号 goes into by default
IMPORTED = "imported"
NUMBER_ARG = "document_no"


@attrs.frozen
class Milestone:
    """A dated column of a 台账 and the action it records.

    ``headers``: the column's headers (the date, possibly with the 文号 in the
    same cell); ``number_headers``: a column of its own holding the 文号;
    ``action``: the action the milestone is; ``args``: arguments the imported
    event gets (e.g. ``{"result": "pass"}``); ``status``: the status it leads
    to when the action's ``to_status`` is computed from its arguments.
    Milestones are listed in the order they happen.
    """

    name: str
    label: str
    action: str
    headers: tuple[str, ...] = attrs.field(converter=tuple)
    number_headers: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    args: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    status: str | None = None
    number_arg: str = NUMBER_ARG

    @property
    def steps(self) -> tuple["Milestone", ...]:
        return (self,)


@attrs.frozen
class MilestoneColumn:
    index: int
    header: str
    milestone: Milestone
    number: bool  # the column holds only the 文号


def _norm(text: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).strip("*:")


def milestone_columns(headers: Sequence[str], taken: set[int], milestones: Sequence[Milestone],
                      candidates) -> list[MilestoneColumn]:
    """The columns (not already taken by a field) that hold a milestone's date
    or 文号.  ``candidates(text)`` gives the forms a header may be matched as."""
    keys: dict[str, tuple[Milestone, bool]] = {}
    for m in milestones:
        for h in m.headers:
            keys.setdefault(_norm(h), (m, False))
        for h in m.number_headers:
            keys.setdefault(_norm(h), (m, True))
    out: list[MilestoneColumn] = []
    seen: set[tuple[str, bool]] = set()
    for i, text in enumerate(headers):
        if i in taken or not text:
            continue
        hit = next((keys[_norm(c)] for c in candidates(text) if _norm(c) in keys), None)
        if hit is None or (hit[0].name, hit[1]) in seen:
            continue
        seen.add((hit[0].name, hit[1]))
        out.append(MilestoneColumn(i, text.replace("\n", "/"), hit[0], hit[1]))
    return out


_DATE_IN_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def split_date_and_number(raw: Any, parse_date) -> tuple[dt.date | None, str]:
    """A cell such as ``2025-09-10 淅发改〔2025〕12号`` or ``淅发改〔2025〕12号
    (2025年9月10日)`` as (date, 文号); a date cell as (date, "").  Raises the
    cell parser's error when there is text but no date."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ""
    if not isinstance(raw, str):
        return parse_date(raw), ""
    text = unicodedata.normalize("NFKC", raw).strip()
    m = _DATE_IN_TEXT.search(text)
    if m is None:
        return parse_date(raw), ""  # raises with the cell parser's message
    day = parse_date(m.group(0))
    rest = (text[:m.start()] + " " + text[m.end():]).strip()
    rest = re.sub(r"^[\s,,;;、::/()()]+|[\s,,;;、::/()()]+$", "", rest)
    # The 文号's brackets were folded by NFKC; 〔〕 survive it, so show the original when it is there.
    original = raw.strip()
    number = next((p for p in re.split(r"[\s,,;;、]+", original) if rest and _norm(p) == _norm(rest)), rest)
    return day, number


def build_history(found: Sequence[tuple[Milestone, dt.date, str]], registry, initial: str) -> tuple[
        tuple[HistoryEvent, ...], str]:
    """The imported history of the milestones found (in the pack's order) and
    the status it leaves the project in."""
    events: list[HistoryEvent] = []
    status = initial
    for seq, (m, day, number) in enumerate(found, 1):
        spec = registry.actions[m.action]
        args: dict[str, Any] = dict(m.args)
        args[IMPORTED] = True
        if number:
            args[m.number_arg] = number
        target = m.status or (spec.to_status if isinstance(spec.to_status, str) else None) or status
        events.append(HistoryEvent(seq=seq, action=m.action, date=day, role=spec.roles[0] if spec.roles else "",
                                   args=args, from_status=status, to_status=target))
        status = target
    return tuple(events), status


def order_problems(found: Sequence[tuple[Milestone, dt.date, str, str]], on: dt.date) -> list[tuple[str, str]]:
    """(header, message) for milestones out of order or after the day of entry."""
    out = []
    last: tuple[str, dt.date] | None = None
    for _m, day, _number, header in found:
        if day > on:
            out.append((header, f"日期 {day} 晚于导入日期 {on}"))
        elif last is not None and day < last[1]:
            out.append((header, f"日期 {day} 早于「{last[0]}」的 {last[1]}"))
        last = (header, day)
    return out


def write_events(ledger, actor, pid: int, history: Sequence[HistoryEvent], insert, stamp) -> list[tuple]:
    """Insert a project's imported events (inside the import's transaction);
    returns their audit entries ``(kind, detail, project_id, action)``."""
    from .audit import event_digest
    from .models import Event
    from .values import to_json_value
    entries = []
    for ev in history:
        values = {"project": pid, "seq": ev.seq, "action": ev.action, "date": ev.date, "actor": actor.id,
                  "role": ev.role, "args": to_json_value(dict(ev.args)), "from_status": ev.from_status,
                  "to_status": ev.to_status, "recorded_at": stamp}
        event_id = insert({getattr(Event, k): v for k, v in values.items()})
        # the row as written, for its digest (the attributes event_digest reads; a model instance costs more)
        row = SimpleNamespace(id=event_id, project_id=pid, actor_id=actor.id, **{
            k: v for k, v in values.items() if k not in ("project", "actor", "recorded_at")})
        entries.append(("event", {"event_id": event_id, "digest": event_digest(row), IMPORTED: True},
                        pid, ev.action))
    return entries
