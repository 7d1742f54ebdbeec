"""What a rule may read besides its own project: the other projects of the
ledger (read-only) and the project's uploaded documents.

A guard finds them on its context (``ctx.projects``, ``ctx.documents``); an
obligation or finding rule takes the optional hook arguments ``projects`` and
``documents``.  This module has no database in it: the ledger hands rules a
reader over its tables (:mod:`tongchou.ledger_reads`), what-if a reader over
projects it holds in memory (:class:`MemoryReader`), and a rule evaluated with
neither sees :data:`NO_PROJECTS`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Registry
    from .vocabulary import ProjectState


@attrs.frozen
class DocumentInfo:
    """One document uploaded for a project, as rules see it: what kind it is
    (``申报材料``, ``验收报告`` ...), when it was uploaded (the server's local
    date), the file name the uploader gave and its SM3 digest.  Never the
    file's contents."""

    kind: str
    uploaded: dt.date
    name: str
    digest: str
    id: int | None = None


def documents_of_kind(documents: Iterable[DocumentInfo], kind: str) -> list[DocumentInfo]:
    """The documents of ``kind``, oldest first."""
    return sorted((d for d in documents if d.kind == kind), key=lambda d: (d.uploaded, d.id or 0))


class ProjectReader:
    """The other projects of the ledger, read-only.

    ``find(**filters)`` returns the matching projects (as
    :class:`~tongchou.ProjectState`, lowest id first) and ``count(**filters)``
    how many match; each is one query on a ledger.  Filters are those of
    ``Ledger.projects(filters=...)``: a field name (core or plugin) mapped to a
    value or a list of values, ``status``, ``unit`` (the unit's name), ``id``.
    The project being decided is never among the results (``exclude``).

    This base reader has no ledger behind it and finds nothing; rules
    evaluated outside a ledger see it.
    """

    #: the id of the project being decided (None for one not yet entered)
    exclude: int | None = None
    #: True when a live ledger stands behind the reader; False outside a
    #: ledger and in replays (what-if), where a rule must not read the database
    live: bool = False

    def find(self, **filters: Any) -> list["ProjectState"]:
        return []

    def count(self, **filters: Any) -> int:
        return len(self.find(**filters))

    def exists(self, **filters: Any) -> bool:
        return self.count(**filters) > 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} excluding {self.exclude}>"


#: A reader with no ledger behind it (finds nothing).
NO_PROJECTS = ProjectReader()


def _wanted(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


class MemoryReader(ProjectReader):
    """A reader over projects held in memory (what-if's replayed states).

    ``source`` is a sequence of states or a callable returning one (called on
    the first read, so a reader nobody uses costs nothing).  With a
    ``registry``, filter values are typed as the field declares (``"2026"``
    matches the year 2026) and an unknown field is an error, as on a ledger.
    """

    def __init__(self, source: Sequence["ProjectState"] | Callable[[], Sequence["ProjectState"]],
                 exclude: int | None = None, registry: "Registry | None" = None):
        self._source = source
        self.exclude = exclude
        self._registry = registry

    def _states(self) -> Sequence["ProjectState"]:
        if callable(self._source):
            self._source = self._source()
        return self._source

    def _matcher(self, name: str, wanted: Any) -> Callable[["ProjectState"], bool]:
        values = _wanted(wanted)
        if name == "status":
            allowed = {str(v) for v in values}
            return lambda s: s.status in allowed
        if name == "id":
            ids = {int(v) for v in values}
            return lambda s: s.id in ids
        spec = self._registry.fields.get(name) if self._registry is not None else None
        if self._registry is not None and spec is None:
            from .errors import InvalidInput
            raise InvalidInput(name, "未知字段")
        if spec is not None and name != "unit":
            from .values import parse_value
            values = [parse_value(spec, v) for v in values]
        return lambda s: s.fields.get(name) in values

    def find(self, **filters: Any) -> list["ProjectState"]:
        tests = [self._matcher(name, wanted) for name, wanted in filters.items()
                 if not (wanted is None or wanted == "" or wanted == [])]
        out = [s for s in self._states()
               if (self.exclude is None or s.id != self.exclude) and all(t(s) for t in tests)]
        return sorted(out, key=lambda s: (s.id is None, s.id or 0))


def as_recorded_on(states: Mapping[int, "ProjectState"], statuses: Mapping[int, Sequence[tuple[dt.date, str]]],
                   entered: Mapping[int, dt.date], initial: str, day: dt.date) -> list["ProjectState"]:
    """The projects as recorded at the end of the day before ``day``: those
    entered before it, each in the status its last event before ``day`` left
    it in (``statuses``: ``(date, to_status)`` per event, oldest first;
    ``initial`` before any), with today's fields.  What-if shows these to draft rules that read other
    projects: a step is judged against what had happened before its day, so
    two steps of one day do not count against each other."""
    out = []
    for pid, state in states.items():
        start = entered.get(pid)
        if start is not None and start >= day:
            continue
        status = initial
        for when, to_status in statuses.get(pid, ()):
            if when >= day:
                break
            status = to_status
        out.append(state if status == state.status else attrs.evolve(state, status=status))
    return out


def readers_as_recorded(states: Iterable["ProjectState"], statuses: Mapping[int, Sequence[tuple[dt.date, str]]],
                        entered: Mapping[int, dt.date | None], initial: str,
                        registry: "Registry | None" = None) -> Callable[[int | None, dt.date], ProjectReader]:
    """``readers(project_id, day)``: a reader of the projects as recorded
    before ``day`` (:func:`as_recorded_on`) excluding ``project_id``; each
    day's set is built once, and only when a rule reads it."""
    by_id = {s.id: s for s in states if s.id is not None}
    since = {pid: day for pid, day in entered.items() if day is not None}
    days: dict[dt.date, list["ProjectState"]] = {}

    def on_day(day: dt.date) -> list["ProjectState"]:
        if day not in days:
            days[day] = as_recorded_on(by_id, statuses, since, initial, day)
        return days[day]

    return lambda pid, day: MemoryReader(lambda: on_day(day), pid, registry)
