"""Reading, listing, entering and editing projects.  Part of
:class:`~tongchou.ledger.Ledger`; status changes go through actions
(:mod:`tongchou.actions`), never through these."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
from peewee import JOIN, SQL, fn

from . import auth, parties, seals
from .dates import parse_date
from .errors import Conflict, InvalidInput, NotFound
from .seals import TamperedRow
from .field_index import column_name, json_expr, postgres_columns
from .ledger_reads import document_info
from .models import Account, Event, Obligation, Project, Unit, now
from .reads import DocumentInfo
from .storage import CORE_COLUMNS, _as_date, _db_time
from .values import from_json_value, parse_record, parse_value, record_id, to_json_value
from .vocabulary import CREATE_PROJECT, UPDATE_PROJECT, Actor, HistoryEvent, ProjectState


class ProjectsMixin:
    """Projects as rules and pages see them."""

    def _state(self, row: Project) -> ProjectState:
        fields = self._fields(row.name, self.unit_name(row.unit_id), row.year, row.estimate, row.data)
        return ProjectState(id=row.id, status=row.status, fields=fields, unit_id=row.unit_id,
                            version=row.version)

    def _fields(self, name: str, unit: str, year: int, estimate: Decimal | None,
                data: Mapping[str, Any] | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": name, "unit": unit, "year": year, "estimate": estimate}
        data = data or {}
        for fname, spec in self.registry.fields.items():
            if fname in CORE_COLUMNS:
                continue
            raw = data.get(fname)
            if raw is None:
                fields[fname] = False if spec.type == "bool" else spec.default
            else:
                fields[fname] = from_json_value(spec, raw)
        return fields

    def _field(self, fname: str, data: Mapping[str, Any] | None) -> Any:
        """``_fields(...)[fname]`` for a field stored in ``data`` (not a core
        column), without decoding the others; KeyError for an unknown field."""
        spec = self.registry.fields.get(fname)
        if spec is None or fname in CORE_COLUMNS:
            raise KeyError(fname)
        raw = (data or {}).get(fname)
        if raw is None:
            return False if spec.type == "bool" else spec.default
        return from_json_value(spec, raw)

    def _history(self, project_id: int) -> tuple[HistoryEvent, ...]:
        return self.histories([project_id])[project_id]

    def histories(self, project_ids: Iterable[int]) -> dict[int, tuple[HistoryEvent, ...]]:
        """The histories of many projects in one query (no access check: callers
        pass ids they have already read)."""
        ids = list(project_ids)
        out: dict[int, list[HistoryEvent]] = {pid: [] for pid in ids}
        actions = self.registry.actions
        # Raw SQL, decoded by hand, each distinct date and empty argument list once:
        # a province-wide worklist reads the histories of 100,000+ projects, where
        # peewee's row processing cost ten times the query.
        days: dict[Any, dt.date] = {}
        decoded: dict[tuple[str, Any], dict[str, Any]] = {}  # (action, stored args) -> typed args
        empty = ("{}", None, "")
        head = self._sql("history").split(" WHERE ", 1)[0]
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            if len(chunk) == 1:
                rows = self.db.execute_sql(self._sql("history"), (chunk[0],))
            else:
                marks = ", ".join(self.db.param for _ in chunk)
                rows = self.db.execute_sql(f'{head} WHERE "project_id" IN ({marks}) ORDER BY "project_id", "seq"',
                                           chunk)
            for pid, seq, action, day, role, args, from_status, to_status in rows:
                if args in empty or args == {}:
                    typed: dict[str, Any] = {}
                else:
                    # Many events carry the same arguments (a review's verdict, a
                    # document's kind): each distinct text is decoded once, and each
                    # event gets its own copy of the (immutable) values.
                    key = (action, args if isinstance(args, str) else json.dumps(args, sort_keys=True))
                    known = decoded.get(key)
                    if known is None:
                        raw = json.loads(args) if isinstance(args, str) else args
                        spec = actions.get(action)
                        known = decoded[key] = {k: from_json_value(spec.arg(k) if spec else None, v)
                                                for k, v in raw.items()}
                    typed = dict(known)
                date = days.get(day)
                if date is None:
                    date = days[day] = _as_date(day)
                out[pid].append(HistoryEvent(seq=seq, action=action, date=date, role=role, args=typed,
                                             from_status=from_status, to_status=to_status))
        return {pid: tuple(evs) for pid, evs in out.items()}

    def _row(self, project_id: int, *, lock: bool = False) -> Project:
        pid = self._project_key(project_id)
        # Writers of one project queue on FOR UPDATE (SQLite's BEGIN IMMEDIATE
        # already serialises all writers), so each sees the state the last one left.
        # Raw SQL: building the query with peewee cost more than running it.
        with_params = lock and self._change_params_due
        sql = self._sql("project_lock_params" if with_params else "project_lock" if lock else "project")
        cursor = self.db.execute_sql(sql, (pid,))
        values = cursor.fetchone()
        if values is None:
            raise NotFound(f"no project {project_id!r}")
        names = tuple(d[0] for d in cursor.description)
        if with_params:  # the change's parameters, checked in the same round trip
            self._take_params_signature(values[-2:])
            values, names = values[:-2], names[:-2]
        return self._decode_row(names, values, lock)

    def _action_row(self, project_id: int) -> tuple[Project, tuple[DocumentInfo, ...] | None]:
        """The first read of an action: the project's row, locked, with the
        parameters' signature and the project's documents in the same round
        trip (one row per document).  The documents are None when this is not
        the change's first read (they are then read on their own)."""
        if not self._change_params_due:
            return self._row(project_id, lock=True), None
        cursor = self.db.execute_sql(self._sql("project_lock_documents"), (self._project_key(project_id),))
        rows = cursor.fetchall()
        if not rows:
            raise NotFound(f"no project {project_id!r}")
        names = tuple(d[0] for d in cursor.description)[:-7]
        self._take_params_signature(rows[0][-7:-5])
        documents = tuple(document_info(*r[-5:]) for r in rows if r[-5] is not None)
        return self._decode_row(names, rows[0][:-7], True), documents

    @staticmethod
    def _project_key(project_id: int) -> int:
        pid = record_id(project_id)
        if pid is None:  # also an id past BIGINT: "no project", not an OverflowError
            raise NotFound(f"no project {str(project_id)[:40]!r}")
        return pid

    def _take_params_signature(self, signature: Sequence[Any]) -> None:
        self._change_params_due = False
        self._change_params = self._fresh_params(tuple(signature))

    def _decode_row(self, names: tuple[str, ...], values: Sequence[Any], lock: bool) -> Project:
        # Built by hand: peewee's row wrapper resolves the columns anew for every
        # query, which cost more than the query on the action path.
        fields = self._row_fields.get(names)
        if fields is None:
            # (None for the generated columns of indexed fields: field_index)
            fields = self._row_fields[names] = [Project._meta.columns.get(n) for n in names]
        row = Project(__no_default__=True)
        data = row.__data__
        for field, value in zip(fields, values):
            if field is not None:
                data[field.name] = field.python_value(value) if value is not None else None
        if lock and not self._row_sound("project", row):  # a change never builds on a tampered row
            raise TamperedRow("project", row.id)
        return row

    def _readable_row(self, project_id: int, actor: Actor | None, *, lock: bool = False) -> Project:
        row = self._row(project_id, lock=lock)
        if not lock and not self._row_sound("project", row):  # shown or used: never a tampered row
            raise TamperedRow("project", row.id)
        # The parties are read only when the unit alone does not decide.
        if actor is not None and not auth.can_read(self.registry, actor, row.unit_id) \
                and not auth.can_read(self.registry, actor, row.unit_id, self._row_parties(row)):
            # Same answer as for a project that does not exist: nothing leaks.
            raise NotFound(f"no project {project_id!r}")
        return row

    def project(self, project_id: int, actor: Actor | None = None) -> ProjectState:
        """A project, if ``actor`` (when given) may see it."""
        return self._state(self._readable_row(project_id, actor))

    def history(self, project_id: int, actor: Actor | None = None) -> list[dict]:
        """The project's events with who took them, oldest first."""
        self._readable_row(project_id, actor)
        rows = (Event.select(Event, Account.name.alias("actor_name"))
                .join(Account, JOIN.LEFT_OUTER, on=(Event.actor == Account.id))
                .where(Event.project == project_id).order_by(Event.seq).dicts())
        out = []
        for r in rows:
            spec = self.registry.actions.get(r["action"])
            out.append({"seq": r["seq"], "action": r["action"],
                        "label": spec.label if spec else r["action"],
                        "citation": spec.citation.label if spec else "",
                        "date": r["date"], "actor": r["actor_name"] or "", "role": r["role"],
                        "args": r["args"] or {}, "from_status": r["from_status"],
                        "to_status": r["to_status"]})
        return out

    def projects(self, actor: Actor | None = None, *, filters: Mapping[str, Any] | None = None,
                 search: str = "", order_by: str = "id", descending: bool = False,
                 offset: int = 0, limit: int | None = None) -> tuple[list[ProjectState], int]:
        """A page of projects ``actor`` may see, and how many match in all.

        ``filters`` maps field names (core or plugin, and ``status`` and ``id``)
        to a value or a list of values; ``overdue_on: date`` keeps projects with an
        open obligation due before that date.  ``order_by`` is any of those names.
        """
        filters = filters or {}
        query = self._project_query(actor, filters, search, with_unit=order_by == "unit")
        col = self._order_column(order_by)
        # Ties by id in the same direction: an index on (key, id) then gives the
        # order as it is, both ways (migration 0012), with no sort of the matches.
        order = (col.desc(), Project.id.desc()) if descending else (col, Project.id)
        if limit is None:
            # Every match (a worklist's candidates: a whole province for some roles),
            # decoded by hand as _row does rather than by peewee's model rows.
            sql, params = query.order_by(*order).sql()
            cursor = self.db.execute_sql(sql, params)
            names = tuple(d[0] for d in cursor.description)
            states = [self._state(self._decode_row(names, values, False)) for values in cursor]
            return states, len(states)
        if limit <= 0:
            return [], query.select(fn.COUNT(SQL("*"))).scalar()
        # A deferred join: find the page's ids and the number of matches in one
        # pass over narrow rows (id, sort key: often from an index alone), then
        # read just those rows.  Sorting whole rows, and counting them in a
        # second scan, is what made a page of a province slow.
        if not search and self._index_answers(filters):
            # Every filter has an index (a core column, the unit, an ``indexed``
            # plugin field): the count is read from the index alone and the page
            # walks it, where a window count would visit and sort every match.
            ids = [r[0] for r in query.select(Project.id).order_by(*order)
                   .offset(max(0, offset)).limit(limit).tuples()]
            # COUNT(*), not COUNT(id): PostgreSQL then needs no column of the
            # row and counts from the index alone (an index-only scan).
            total = query.select(fn.COUNT(SQL("*"))).scalar() if ids or offset > 0 else 0
        else:
            keys = list(query.select(Project.id, fn.COUNT(SQL("*")).over())
                        .order_by(*order).offset(max(0, offset)).limit(limit).tuples())
            if not keys:
                return [], (query.select(fn.COUNT(SQL("*"))).scalar() if offset > 0 else 0)
            ids, total = [k[0] for k in keys], keys[0][1]
        if not ids:
            return [], total
        rows = {r.id: r for r in Project.select().where(Project.id.in_(ids))}
        return [self._state(rows[i]) for i in ids], total

    def _index_answers(self, filters: Mapping[str, Any]) -> bool:
        """True when an index answers every filter (see :meth:`projects`)."""
        for name, wanted in filters.items():
            if wanted is None or wanted == "" or wanted == []:
                continue
            if name in ("status", "year", "unit", "id"):
                continue
            spec = self.registry.fields.get(name)
            if spec is None or name in CORE_COLUMNS or not spec.indexed:
                return False
        return True

    def _field_expr(self, name: str):
        if name in ("name", "year", "estimate", "status", "id", "version", "created_on"):
            return getattr(Project, name)
        if name == "unit":
            return Unit.name
        spec = self.registry.fields.get(name)
        if spec is None:
            raise InvalidInput(name, "未知字段")
        # Exactly the expression an ``indexed`` field's index is on (field_index);
        # on PostgreSQL its generated column, where the ledger has it.
        return json_expr(name, self.is_postgres, spec.indexed and column_name(name) in self._generated_columns())

    def _generated_columns(self) -> frozenset[str]:
        """The project table's generated columns (PostgreSQL; read once per ledger)."""
        cols = self.__dict__.get("_generated")
        if cols is None:
            cols = self.__dict__["_generated"] = (frozenset(postgres_columns(self.db)) if self.is_postgres
                                                  else frozenset())
        return cols

    def _order_column(self, name: str):
        return self._field_expr(name)

    def _project_query(self, actor: Actor | None, filters: Mapping[str, Any], search: str,
                       with_unit: bool = False):
        query = Project.select(Project)
        if with_unit or filters.get("unit") not in (None, "", []):
            # Only when the unit's name is filtered or sorted on: the join costs a
            # row visit per match even where an index alone would answer.
            query = query.join(Unit, on=(Project.unit == Unit.id))
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            query = query.where(scope.expr())
        for name, wanted in filters.items():
            if wanted is None or wanted == "" or wanted == []:
                continue
            if name == "overdue_on":
                due = parse_date(wanted) if not isinstance(wanted, dt.date) else wanted
                late = (Obligation.select(Obligation.project)
                        .where(Obligation.closed_on.is_null(), Obligation.due < due))
                query = query.where(Project.id.in_(late))
                continue
            values = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            expr = self._field_expr(name)
            spec = self.registry.fields.get(name)
            if spec is not None and name not in CORE_COLUMNS:
                values = [to_json_value(parse_value(spec, v)) for v in values]
                if spec.type == "bool":
                    # SQLite's json_extract yields 1/0; PostgreSQL's ->> yields 'true'/'false'.
                    values = [("true" if v else "false") if self.is_postgres else int(v) for v in values]
                elif self.is_postgres:
                    values = [str(v) for v in values]
            elif name == "year":
                values = [int(v) for v in values]
            query = query.where(expr.in_(values))
        if search:
            query = query.where(Project.name.contains(search.strip()))
        return query

    # -- creating and editing projects --------------------------------------

    def create_project(self, raw: Mapping[str, Any], actor: Actor,
                       date: dt.date | None = None) -> ProjectState:
        """Enter a new project in the initial status, after the guards on
        ``project.create`` agree.  Raises InvalidInput, Refused."""
        date = date or dt.date.today()
        raw = dict(raw)
        if "unit" not in raw and actor.unit:
            raw["unit"] = actor.unit
        values = parse_record(self.registry.fields, raw)
        unit_id = self.unit_id(values["unit"])
        self.check_units(self.registry.fields.values(), values)
        state = ProjectState(id=None, status=self.registry.initial_status, fields=values, unit_id=unit_id)
        with self._change():
            rules = self.rules_for(version=self.version_on(date))  # the version in force on entry
            refusal = auth.may_create(self.registry, actor, unit_id)
            refusals = [refusal] if refusal else self._guard(CREATE_PROJECT, state, {}, (), actor, date, rules,
                                                             lock=True)
            if refusals:
                raise self._refused(actor, None, CREATE_PROJECT, date, refusals, {"fields": to_json_value(values)})
            data = {k: to_json_value(v) for k, v in values.items() if k not in CORE_COLUMNS}
            # Prepared SQL rather than peewee's insert: building the statement cost
            # more than running it (an entry is one of a county's common writes).
            moment = _db_time(now())
            cursor = self.db.execute_sql(self._sql("project_insert"), (
                values["name"], unit_id, values["year"], Project.estimate.db_value(values.get("estimate")),
                state.status, Project.data.db_value(data), rules.version.tag, date.isoformat(), actor.id,
                moment, moment))
            pid = cursor.fetchone()[0] if self.is_postgres else cursor.lastrowid
            self._write_parties(pid, {}, self._party_ids(values))
            self.audit.append("project", actor.name, {"op": "create", "fields": to_json_value(values),
                                                      "date": date}, project_id=pid)
            row = self._row(pid)
            new = self._state(row)
            row.derived = self._recompute(new, (), documents=(), rules=rules)
            # The derived digest and the seal over the row as it now reads, in one statement.
            self.db.execute_sql(self._sql("derived_seal_update"),
                                (row.derived, seals.seal_row(self.seal_key, "project", row), pid))
        return new

    def update_project(self, project_id: int, changes: Mapping[str, Any], actor: Actor,
                       date: dt.date | None = None, expected_version: int | None = None) -> ProjectState:
        """Edit fields of a project (not its status: that moves only by actions)."""
        date = date or dt.date.today()
        if "status" in changes:
            raise InvalidInput("status", "状态只能通过办理事项改变")
        typed = parse_record(self.registry.fields, dict(changes), partial=True)
        self.check_units(self.registry.fields.values(), typed)
        with self._change():
            row = self._readable_row(project_id, actor, lock=True)
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"project {row.id} was changed by someone else (version {row.version}, "
                               f"you had {expected_version}); reload and try again")
            before = self._state(row)
            fields = dict(before.fields)
            fields.update(typed)
            unit_id = self.unit_id(fields["unit"]) if "unit" in typed else row.unit_id
            after = attrs.evolve(before, fields=fields, unit_id=unit_id)
            refusal = auth.may_create(self.registry, actor, row.unit_id)
            if refusal is None and unit_id != row.unit_id:
                refusal = auth.may_create(self.registry, actor, unit_id)
            history = self._history(row.id)
            rules = self.rules_for(row)
            refusals = [refusal] if refusal else self._guard(
                UPDATE_PROJECT, after, {"changes": typed, "before": before}, history, actor, date, rules,
                lock=True)
            if refusals:
                raise self._refused(actor, row.id, UPDATE_PROJECT, date, refusals, {"changes": to_json_value(typed)})
            new = attrs.evolve(after, version=row.version + 1)
            digest = self._recompute(new, history, row.derived, rules=rules)
            data = {k: to_json_value(v) for k, v in fields.items() if k not in CORE_COLUMNS}
            n = (Project.update(name=fields["name"], unit=unit_id, year=fields["year"],
                                estimate=fields.get("estimate"), data=data, version=Project.version + 1,
                                updated_at=now(), derived=digest)
                 .where(Project.id == row.id, Project.version == row.version).execute())
            if n != 1:
                raise Conflict(f"project {row.id} was changed by someone else; reload and try again")
            self._write_parties(row.id, self._party_ids(before.fields), self._party_ids(fields))
            self._seal("project", [row.id])
            self.audit.append("project", actor.name, {"op": "update", "changes": to_json_value(typed),
                                                      "date": date}, project_id=row.id)
        return new
