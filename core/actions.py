"""Taking an action on a project: one transaction that checks who asks, asks
the guards, applies the step, writes the event and its audit link and
re-derives what the project owes.  Part of :class:`~tongchou.ledger.Ledger`."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import auth, engine
from .audit import event_digest
from .db import write_transaction
from .errors import Conflict, InvalidInput, NotFound, Refused
from .models import Event, Project, now
from .results import ActResult
from .seals import seal_of
from .storage import ACT_COLUMNS, CORE_COLUMNS, _db_time
from .values import parse_record, to_json_value
from .vocabulary import Action, Actor, HistoryEvent, ProjectState, Refusal


#: how many projects' histories a ledger keeps after acting on them
HISTORY_CACHE = 2048


class ActionsMixin:
    """Guards, refusals and actions."""

    def _guard(self, action: str, state: ProjectState, args: Mapping[str, Any],
               history: tuple[HistoryEvent, ...], actor: Actor, date: dt.date, rules=None, *,
               lock: bool = False) -> list[Refusal]:
        """What the guards on ``action`` say, under ``rules`` (the project's
        version of the rules; the newest when not given).  ``lock`` (inside a
        change): the project's unit is locked first when a guard says it reads
        other projects, and on the first read otherwise (see :meth:`_lock_unit`)."""
        rules = rules or self.rules_for()
        if lock and self._guards_read(action, rules.registry):
            self._lock_unit(state.unit_id)
        reader, documents = self._rule_reads(state, lock=lock)
        return engine.guard(rules.registry, rules.params, action, state, args, history, actor, date,
                            reader, documents)

    def _refused(self, actor: Actor, project_id: int | None, action: str, date: dt.date,
                 refusals: list[Refusal], args: Mapping[str, Any]) -> Refused:
        """A Refused error that :meth:`_change` logs once the change has rolled back."""
        exc = Refused(refusals)
        exc.log = {"actor": actor.name, "project_id": project_id, "action": action,
                   "detail": {"date": date, "args": to_json_value(args),
                              "refusals": [r.to_json() for r in refusals]}}
        return exc

    @contextlib.contextmanager
    def _change(self):
        """The transaction of one change.  A refusal rolls everything back, then
        is written to the audit log in a transaction of its own."""
        try:
            with write_transaction(self.db):
                # The parameters in force are checked at their first use in the
                # change: with the project's row when a change starts by locking
                # one (see ProjectsMixin._row), else on their own (Ledger.params).
                self._change_params = None
                self._change_params_due = True
                try:
                    yield
                finally:
                    self._change_params = None
                    self._change_params_due = False
        except Refused as exc:
            log = getattr(exc, "log", None)
            if log is not None:
                with write_transaction(self.db):
                    self.audit.append("refusal", log["actor"], log["detail"],
                                      project_id=log["project_id"], action=log["action"])
            hidden = getattr(exc, "answer", None)
            if hidden is not None:  # logged as a refusal, answered as something else
                raise hidden from None
            raise

    def check(self, project_id: int, action: str, actor: Actor, date: dt.date | None = None,
              args: Mapping[str, Any] | None = None, *, partial: bool = False) -> list[Refusal]:
        """What would refuse ``action`` now, without taking it or logging anything.

        ``partial``: ``args`` may leave arguments out (a form not yet filled
        in); only what refuses whatever they will be is reported (see
        :func:`tongchou.todo.prerequisites`), e.g. to disable a button."""
        spec = self.registry.action(action)
        typed = parse_record(list(spec.args), dict(args or {}), what="参数", partial=partial)
        row = self._readable_row(project_id, actor)
        state = self._state(row)
        history = self._history(row.id)
        date = date or dt.date.today()
        rules, _pin = self._rules_for_action(row, spec.name, history, date)
        reader, documents = self._rule_reads(state)
        if partial:
            from .todo import prerequisites
            return prerequisites(rules.registry, rules.params, rules.registry.actions.get(spec.name, spec),
                                 state, history, actor, date, args=typed, projects=reader,
                                 documents=documents, parties=self.parties(state))
        return self._refusals(spec, state, typed, history, actor, date, rules, reader, documents)

    def _refusals(self, spec: Action, state: ProjectState, args: Mapping[str, Any],
                  history: tuple[HistoryEvent, ...], actor: Actor, date: dt.date, rules=None,
                  projects=None, documents=None) -> list[Refusal]:
        # The project's version of the rules (see tongchou.versions); an action
        # has the same name and arguments in every version, not the same guards.
        rules = rules or self.rules_for()
        spec = rules.registry.actions.get(spec.name, spec)
        if projects is None:
            projects, documents = self._rule_reads(state, documents=documents)
        return engine.refusals(rules.registry, rules.params, spec, state, args, history, actor, date,
                               projects, documents or (), parties=self.parties(state))

    def act(self, project_id: int, action: str, actor: Actor, date: dt.date | None = None,
            args: Mapping[str, Any] | None = None, expected_version: int | None = None) -> ActResult:
        """Take ``action`` on a project as ``actor`` on ``date``.

        Raises InvalidInput for malformed arguments (nothing written), NotFound
        for a project the actor may not see, Conflict when ``expected_version``
        is stale, Refused when a rule refuses (only the refusal is logged).
        """
        date = date or dt.date.today()
        spec = self.registry.action(action)
        typed = parse_record(list(spec.args), dict(args or {}), what="参数")
        self.check_units(spec.args, typed)
        with self._change():
            row, documents = self._action_row(project_id)
            if not auth.can_read(self.registry, actor, row.unit_id, self._row_parties(row)):
                # Logged like any refusal: an attempt on another unit's project is worth
                # seeing; answered like a project that does not exist, so nothing leaks.
                refusals = [Refusal("permission", "只能办理本单位的项目")]
                exc = self._refused(actor, row.id, spec.name, date, refusals, typed)
                exc.answer = NotFound(f"no project {project_id!r}")
                exc.answer.refused = exc  # for scenario runs, where "refused: permission" is expected
                raise exc
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"project {row.id} was changed by someone else (version {row.version}, "
                               f"you had {expected_version}); reload and try again")
            state = self._state(row)
            # The history as this process last wrote it, when the project has not
            # changed since (same version): else read from the database.
            cached = self._history_cache.get(row.id)
            history = cached[1] if cached is not None and cached[0] == row.version else self._history(row.id)
            if history and date < history[-1].date:
                raise InvalidInput("date", f"日期 {date} 早于该项目上一事项的日期 {history[-1].date}", "办理日期")
            rules, pin = self._rules_for_action(row, spec.name, history, date)
            # Guards that count the unit's projects decide one action of the unit at a time.
            if self._guards_read(spec.name, rules.registry):
                self._lock_unit(row.unit_id)
            reader, documents = self._rule_reads(state, lock=True, documents=documents)
            refusals = self._refusals(spec, state, typed, history, actor, date, rules, reader, documents)
            if refusals:
                raise self._refused(actor, row.id, spec.name, date, refusals, typed)
            step = engine.apply(rules.registry, rules.params, rules.registry.action(spec.name), state, typed,
                                history, actor, date, reader, documents)
            new_state, new_history, target, fields = step.project, step.history, step.to_status, step.project.fields
            self.check_units(self.registry.fields.values(), fields)  # effects may name a party
            if pin is not None:  # the anchor event: the project is governed by the version in force now
                self._pin_rules(row.id, pin)
            digest = self._recompute(new_state, new_history, row.derived, documents, rules=rules)
            data = {k: to_json_value(v) for k, v in fields.items() if k not in CORE_COLUMNS}
            moment = now()
            fen = Project.estimate.db_value(fields.get("estimate"))
            # The row's seal as it will read back (tongchou.seals): one HMAC, no extra query.
            seal = seal_of(self.seal_key, "project", (
                row.id, fields["name"], row.unit_id, fields["year"], Project.estimate.python_value(fen), target,
                data, row.version + 1, pin if pin is not None else row.rules, digest, row.created_on,
                row.created_by_id))
            # Only the columns that change are set (see storage.act_write_sql).
            new_values = {"status": target, "name": fields["name"], "year": fields["year"], "estimate": fen,
                          "data": data}
            old_values = {"status": row.status, "name": row.name, "year": row.year,
                          "estimate": Project.estimate.db_value(row.estimate), "data": row.data}
            changed = tuple(c for c in ACT_COLUMNS if new_values[c] != old_values[c])
            update = tuple(Project.data.db_value(data) if c == "data" else new_values[c] for c in changed) + (
                digest, _db_time(moment), seal, row.id, row.version)
            values = {"project": row.id, "seq": len(history) + 1, "action": spec.name, "date": date,
                      "actor": actor.id, "role": actor.role, "args": to_json_value(typed),
                      "from_status": state.status, "to_status": target, "recorded_at": moment}
            event = (values["seq"], spec.name, date.isoformat(), actor.id, actor.role,
                     Event.args.db_value(values["args"]), state.status, target, _db_time(moment))
            if self.is_postgres:
                # One round trip for both: on a server every statement is one, and an
                # action's cost there is mostly its round trips (docs/performance.md).
                found = self.db.execute_sql(self._sql("act_write", changed), update + event).fetchone()
                if found is None:
                    raise Conflict(f"project {row.id} was changed by someone else; reload and try again")
                event_id = found[0]
            else:
                cursor = self.db.execute_sql(self._sql("act_write", changed), update)
                if cursor.rowcount != 1:
                    raise Conflict(f"project {row.id} was changed by someone else; reload and try again")
                event_id = self.db.execute_sql(self._sql("event_insert"), (row.id,) + event).lastrowid
            self._write_parties(row.id, self.parties(state), self.parties(new_state))
            rules.pm.hook.tongchou_action_taken(ctx=step.ctx, event_id=event_id)
            # The audit link last: on PostgreSQL the chain's head row stays locked
            # from here to the commit, and every writer takes its turn on it.
            ev = Event(id=event_id, **values)  # the row as written, for its digest
            self.audit.append("event", actor.name, {"event_id": event_id, "digest": event_digest(ev)},
                              project_id=row.id, action=spec.name)
        # Kept only once committed: the next action on this project (version + 1)
        # then skips reading and decoding its history.
        if len(self._history_cache) >= HISTORY_CACHE:
            self._history_cache.clear()
        self._history_cache[row.id] = (row.version + 1, new_history)
        return ActResult(project=new_state, event_id=event_id, from_status=state.status, to_status=target)

    def available_actions(self, project_id: int, actor: Actor) -> list[Action]:
        """Actions ``actor``'s role may take on the project in its present status
        (the guards may still refuse them)."""
        row = self._readable_row(project_id, actor)
        registry = self.rules_for(row).registry
        party_units = self._row_parties(row)
        out = []
        for spec in registry.actions.values():
            if auth.action_permission(registry, actor, spec, row.unit_id, party_units) is None \
                    and row.status in registry.start_statuses(spec):
                out.append(spec)
        return out
