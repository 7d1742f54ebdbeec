"""What if: the ledger's whole history re-run under a draft rule set.

A county about to change a number (``change_threshold`` from 15 % to 10 %) or
to switch a plugin off wants to know what that would have done to the projects
it already has: which past actions would have been refused, and which
findings and deadlines would change.  :func:`run` answers without writing
anything: it reads the ledger with a few set-based queries, replays every
project in memory with the pure functions of :mod:`tongchou.engine`, and
compares.

How a project is replayed
-------------------------
- It starts from the fields it was entered with (the ``create`` entry of the
  audit log, which every way of entering a project writes), in the draft's
  initial status.  Later field edits (``update`` entries) are applied where
  they happened, between the events.
- Each recorded event is checked under the draft rules, against the project as
  the replay has it and the same user's role and unit on the same day.
- **A step the draft would refuse is kept as recorded** and reported with its
  refusals (and the articles they cite).  The replay goes on from where the
  step really led, so every later step is still checked and each refusal
  reported is one the draft itself causes, not the echo of an earlier one.
  Dropping refused steps instead would turn everything after the first
  refusal into "wrong status" noise.  Where the draft would send a step to
  another status than the one recorded, the difference is noted and the
  recorded status is kept, for the same reason.
- An event whose action the draft does not have (its plugin is disabled) is
  reported as a divergence and kept as recorded.
- Draft rules that read other projects see them as recorded at the end of the
  day before the step (entered by then, in the status their recorded events
  left them in, with today's fields), and the documents uploaded by the
  step's day; on the date looked at, the current rules see the projects as
  they are and the draft's the replayed ones.

What is compared
----------------
On the date looked at, the obligations and open findings (the rules' own, what
``tongchou_sweep`` plugins see on the date, and an ``overdue`` one for each
open obligation past its due date) that the draft
derives from the replayed project are compared with those the current rules
derive from the project as it is.  Obligations are paired by code in due-date
order: a changed due date or closing date is reported as a change, others as
added or removed.  Findings are compared by code, severity and article.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from . import engine
from .citation import Citation
from .errors import ConfigurationError, InvalidInput
from .ledger import CORE_COLUMNS, Ledger
from .models import Account, AuditEntry, Event
from .packs import CORE_PLUGIN, Jurisdiction, make_plugin_manager
from .parameters import ParameterSet, coerce, render
from .reads import NO_PROJECTS, DocumentInfo, MemoryReader, ProjectReader, readers_as_recorded
from .registry import Registry
from .values import from_json_value
from .vocabulary import CREATE_PROJECT, UPDATE_PROJECT, Actor, HistoryEvent, Obligation, ProjectState, Refusal


from .whatif_results import (Draft, FindingChange, ObligationChange, ProjectDiff,  # noqa: F401
                             StepRefusal, WhatIf)


def draft_jurisdiction(jur: Jurisdiction, disabled: Iterable[str]) -> Jurisdiction:
    """The ledger's jurisdiction with more plugins switched off, in a fresh
    plugin manager (the ledger's own is left alone)."""
    disabled = set(disabled)
    loaded = [(n, p) for n, p in jur.pm.list_name_plugin() if p is not None]
    names = {n for n, _p in loaded}
    for name in sorted(disabled):
        if name == CORE_PLUGIN:
            raise InvalidInput("disable", "核心插件不能停用", "停用插件")
        if name not in names:
            known = ", ".join(sorted(names - {CORE_PLUGIN}))
            raise InvalidInput("disable", f"未启用的插件“{name}”（已启用：{known}）", "停用插件")
    pm = make_plugin_manager()
    for name, plugin in loaded:
        if name not in disabled:
            pm.register(plugin, name=name)
    try:
        registry = Registry(pm, disabled=jur.registry.disabled_codes)
        infos = [attrs.evolve(i, enabled=i.enabled and i.name not in disabled) for i in jur.plugins]
        draft = Jurisdiction(jur.pack, pm, registry, infos, jur.chain)
        # keep what a version of the rules overrides (tongchou.versions)
        draft.pack_values = [v for v in jur.pack_values if v[0] in registry.parameters]
        return draft
    except ConfigurationError as exc:
        raise ConfigurationError(f"停用 {', '.join(sorted(disabled))} 后规则无法组合：{exc}") from exc


def draft_parameters(ledger: Ledger, jur: Jurisdiction, overrides: Mapping[str, Any]) -> ParameterSet:
    """The ledger's dated values (those of parameters the draft still has),
    with ``overrides`` pinned for every date."""
    current = ledger.params
    dated = [(name, when, value) for name in jur.registry.parameters if name in current.specs
             for when, value, source in current.history(name) if source == "ledger"]
    for name in overrides:
        if name not in jur.registry.parameters:
            known = ", ".join(sorted(jur.registry.parameters))
            raise InvalidInput("param", f"未知参数“{name}”（可选：{known}）", "参数")
    pinned = {k: v for k, v in current.pinned.items() if k in jur.registry.parameters}
    pinned.update(overrides)
    return jur.parameters(dated, pinned)


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``name=value`` words (CLI ``--param``) as a mapping; values stay text
    until the parameter's type reads them."""
    out: dict[str, str] = {}
    for item in pairs:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidInput("param", f"应为 名称=值，而不是 {item!r}", "参数")
        if name in out:
            raise InvalidInput("param", f"参数“{name}”给了两次", "参数")
        out[name] = value.strip()
    return out


# -- reading the ledger (set-based) ---------------------------------------------------


@attrs.frozen
class _Step:
    kind: str  # "create" | "update" | "event"
    date: dt.date | None
    actor: Actor | None
    data: Mapping[str, Any]
    event: HistoryEvent | None = None


def _timelines(ledger: Ledger, ids: set[int],
               histories: Mapping[int, tuple[HistoryEvent, ...]]) -> dict[int, list[_Step]]:
    """Each project's entry, edits and events in the order they happened:
    three queries for the whole ledger, besides the histories."""
    accounts = {name: (aid, role, unit) for aid, name, role, unit in
                Account.select(Account.id, Account.name, Account.role, Account.unit).tuples()}
    by_id = {aid: (name, role, unit) for name, (aid, role, unit) in accounts.items()}
    event_rows = {eid: (pid, seq, actor) for eid, pid, seq, actor in
                  Event.select(Event.id, Event.project, Event.seq, Event.actor).tuples()}
    by_seq = {(pid, ev.seq): ev for pid, evs in histories.items() for ev in evs}
    out: dict[int, list[_Step]] = {pid: [] for pid in ids}
    rows = (AuditEntry.select(AuditEntry.id, AuditEntry.kind, AuditEntry.actor, AuditEntry.project_id,
                              AuditEntry.detail)
            .where(AuditEntry.kind.in_(["project", "event"]), AuditEntry.project_id.is_null(False))
            .order_by(AuditEntry.id).tuples())
    seen_events: set[tuple[int, int]] = set()
    for _aid, kind, actor_name, pid, detail in rows.iterator():
        if pid not in ids:
            continue
        data = json.loads(detail)
        if kind == "project":
            aid, role, unit = accounts.get(actor_name, (None, "admin", None))
            actor = Actor(name=actor_name, role=role, unit_id=unit, id=aid)
            day = dt.date.fromisoformat(data["date"]) if data.get("date") else None
            op = data.get("op")
            if op == "create":
                out[pid].append(_Step("create", day, actor, data.get("fields") or {}))
            elif op == "update":
                out[pid].append(_Step("update", day, actor, data.get("changes") or {}))
        else:
            row = event_rows.get(data.get("event_id"))
            if row is None or row[0] != pid:
                continue
            ev = by_seq.get((pid, row[1]))
            if ev is None:
                continue
            name, _role, unit = by_id.get(row[2], ("", ev.role, None))
            out[pid].append(_Step("event", ev.date, Actor(name=name, role=ev.role, unit_id=unit, id=row[2]),
                                  {}, ev))
            seen_events.add((pid, ev.seq))
    # Events with no audit entry (a chain that was cut short): after the rest, in order.
    for pid, evs in histories.items():
        for ev in evs:
            if (pid, ev.seq) not in seen_events:
                out[pid].append(_Step("event", ev.date, Actor(name="", role=ev.role), {}, ev))
    for pid, steps in out.items():
        steps.sort(key=lambda s: (0 if s.kind == "create" else 1))  # stable: keeps the rest in order
    return out


# -- replaying one project --------------------------------------------------------------


def _typed_fields(registry: Registry, raw: Mapping[str, Any], ledger: Ledger) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in raw.items():
        spec = registry.fields.get(name) or ledger.registry.fields.get(name)
        out[name] = from_json_value(spec, value)
    return out


def _draft_fields(registry: Registry, values: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, spec in registry.fields.items():
        value = values.get(name)
        if value is None and name not in CORE_COLUMNS:
            value = False if spec.type == "bool" else spec.default
        fields[name] = value
    return fields


def _replay(ledger: Ledger, jur: Jurisdiction, params: ParameterSet, current: ProjectState,
            steps: list[_Step], units: Mapping[str, int],
            others: Callable[[int | None, dt.date], ProjectReader] = lambda pid, day: NO_PROJECTS,
            documents: tuple[DocumentInfo, ...] = ()) -> tuple[ProjectState, tuple[HistoryEvent, ...],
                                                               list[StepRefusal], list[str]]:
    reg = jur.registry

    def reads(day: dt.date) -> tuple[ProjectReader, tuple[DocumentInfo, ...]]:
        # Other projects as recorded before the step's day; documents uploaded by then.
        return others(current.id, day), tuple(d for d in documents if d.uploaded <= day)
    refused: list[StepRefusal] = []
    notes: list[str] = []
    create = steps[0] if steps and steps[0].kind == "create" else None
    if create is None:
        notes.append("审计日志中没有该项目的登记记录，按现有字段推演")
        values = dict(current.fields)
    else:
        values = _typed_fields(reg, create.data, ledger)
    unit_id = units.get(values.get("unit"), current.unit_id)
    state = ProjectState(id=current.id, status=reg.initial_status, fields=_draft_fields(reg, values),
                         unit_id=unit_id, version=1)
    history: tuple[HistoryEvent, ...] = ()
    if create is not None and create.date is not None:
        said = engine.guard(reg, params, CREATE_PROJECT, state, {}, (), create.actor, create.date,
                            others(None, create.date))
        if said:
            refused.append(StepRefusal(0, CREATE_PROJECT, "登记项目", create.date, create.actor.role, tuple(said)))
    for step in steps:
        if step.kind == "create":
            continue
        if step.kind == "update":
            changes = _typed_fields(reg, step.data, ledger)
            fields = dict(state.fields)
            fields.update({k: v for k, v in changes.items() if k in reg.fields})
            after = attrs.evolve(state, fields=fields,
                                 unit_id=units.get(fields.get("unit"), state.unit_id))
            if step.date is not None:
                said = engine.guard(reg, params, UPDATE_PROJECT, after, {"changes": changes, "before": state},
                                    history, step.actor, step.date, *reads(step.date))
                if said:
                    refused.append(StepRefusal(0, UPDATE_PROJECT, "修改项目信息", step.date, step.actor.role,
                                               tuple(said)))
            state = attrs.evolve(after, version=state.version + 1)
            continue
        ev = step.event
        actor = attrs.evolve(step.actor, unit_id=step.actor.unit_id if step.actor.unit_id is not None
                             else state.unit_id)
        spec = reg.actions.get(ev.action)
        if spec is None:
            known = ledger.registry.actions.get(ev.action)
            label = known.label if known else ev.action
            refused.append(StepRefusal(ev.seq, ev.action, label, ev.date, ev.role,
                                       (Refusal("missing", f"草案规则中没有“{label}”这一事项"),)))
            target = ev.to_status if ev.to_status in reg.statuses else state.status
            state = attrs.evolve(state, status=target, version=state.version + 1)
            history = history + (attrs.evolve(ev, seq=len(history) + 1, to_status=target),)
            continue
        party_units = {f: units[state.fields[f]] for f in reg.party_fields if state.fields.get(f) in units}
        said = engine.refusals(reg, params, spec, state, ev.args, history, actor, ev.date, *reads(ev.date),
                               parties=party_units)
        if said:
            refused.append(StepRefusal(ev.seq, ev.action, spec.label, ev.date, ev.role, tuple(said)))
        try:
            step_ = engine.apply(reg, params, spec, state, ev.args, history, actor, ev.date, *reads(ev.date))
            new_state, computed = step_.project, step_.to_status
        except (ConfigurationError, KeyError, TypeError, ValueError) as exc:
            # a refused step's arguments may not even make sense to the draft's effects
            notes.append(f"第{ev.seq}步“{spec.label}”无法按草案规则推演（{exc}），按记录保留")
            new_state, computed = attrs.evolve(state, version=state.version + 1), ev.to_status
        target = computed
        if computed != ev.to_status and ev.to_status in reg.statuses:
            if not said:
                notes.append(f"第{ev.seq}步“{spec.label}”按草案规则将进入“{reg.status_label(computed)}”，"
                             f"台账记录为“{reg.status_label(ev.to_status)}”")
            target = ev.to_status
        state = attrs.evolve(new_state, status=target)
        history = history + (HistoryEvent(seq=len(history) + 1, action=ev.action, date=ev.date, role=ev.role,
                                          args=ev.args, from_status=ev.from_status, to_status=target),)
    return state, history, refused, notes


# -- comparing ----------------------------------------------------------------------------


def _overdue(obligations: Iterable[Obligation], on: dt.date) -> list[tuple[str, str, Citation, str]]:
    return [(f"{o.code}.overdue", "overdue", o.citation, o.message)
            for o in obligations if o.closed_on is None and o.due < on]


def _compare_obligations(before: list[Obligation], after: list[Obligation]) -> list[ObligationChange]:
    def grouped(items):
        out: dict[str, list[Obligation]] = {}
        for o in sorted(items, key=lambda o: (o.due, o.message)):
            out.setdefault(o.code, []).append(o)
        return out
    b, a = grouped(before), grouped(after)
    changes = []
    for code in sorted(set(b) | set(a)):
        olds, news = b.get(code, []), a.get(code, [])
        for i in range(max(len(olds), len(news))):
            old = olds[i] if i < len(olds) else None
            new = news[i] if i < len(news) else None
            if old is not None and new is not None and (old.due, old.closed_on) == (new.due, new.closed_on):
                continue
            ref = new or old
            changes.append(ObligationChange(code, ref.citation, ref.message, old, new))
    return sorted(changes, key=lambda c: (c.citation.articles, c.code))


def _compare_findings(before, after) -> list[FindingChange]:
    def keyed(items):
        out: dict[tuple, list] = {}
        for code, severity, citation, message in items:
            out.setdefault((code, severity, citation.articles), []).append((citation, message))
        return out
    b, a = keyed(before), keyed(after)
    changes = []
    for key in sorted(set(b) | set(a)):
        olds, news = b.get(key, []), a.get(key, [])
        for citation, message in olds[len(news):]:
            changes.append(FindingChange(key[0], key[1], citation, message, "removed"))
        for citation, message in news[len(olds):]:
            changes.append(FindingChange(key[0], key[1], citation, message, "added"))
    return sorted(changes, key=lambda c: (c.citation.articles, c.code, c.change))


def _derived(pm, params, state, history, on, swept=(), projects=NO_PROJECTS, documents=()):
    obligations, findings = engine.derive(pm, params, state, history, projects, documents)
    found = [(f.code, f.severity, f.citation, f.message) for f in list(findings) + list(swept)]
    return obligations, found + _overdue(obligations, on)


SWEEP_CHUNK = 5000


def _swept(pm, params, states: list[ProjectState], on: dt.date) -> dict[int, list]:
    """What ``tongchou_sweep`` plugins see on ``on`` (findings that come from
    time passing, not from a change), asked for many projects at a time."""
    hook = pm.hook.tongchou_sweep if hasattr(pm.hook, "tongchou_sweep") else None
    if hook is None or not hook.get_hookimpls():
        return {}
    out: dict[int, list] = {}
    for i in range(0, len(states), SWEEP_CHUNK):
        for answer in hook(projects=states[i:i + SWEEP_CHUNK], on=on, params=params):
            for pid, found in (answer or {}).items():
                out.setdefault(pid, []).extend(found or ())
    return out


# -- the entry point ------------------------------------------------------------------------


def run(ledger: Ledger, draft: Draft, *, on: dt.date | None = None, actor: Actor | None = None,
        project_ids: Iterable[int] | None = None) -> WhatIf:
    """Replay the ledger (the projects ``actor`` may see; all when None; only
    ``project_ids`` when given) under ``draft`` and report the projects it
    would change.  Each project is compared with the version of the rules that
    governs it.  Writes nothing."""
    on = on or dt.date.today()
    target = ledger.rule_version(draft.version) if draft.version is not None else None
    projects, _total = ledger.projects(actor)
    if project_ids is not None:
        wanted = {int(i) for i in project_ids}
        projects = [p for p in projects if p.id in wanted]
    governing = ledger.governing_versions({p.id for p in projects})
    drafts: dict[str, tuple[Jurisdiction, ParameterSet]] = {}

    def draft_rules(version) -> tuple[Jurisdiction, ParameterSet]:
        if version.name not in drafts:
            base = version.jurisdiction
            jur = draft_jurisdiction(base, draft.disabled) if draft.disabled else base
            drafts[version.name] = (jur, draft_parameters(ledger, jur, draft.overrides))
        return drafts[version.name]

    newest_jur, newest_params = draft_rules(target or ledger.rule_versions[-1])
    shown = {}
    for name in draft.overrides:
        spec = newest_jur.registry.parameters[name]
        shown[name] = (render(spec.type, ledger.params.value(name, on)) if name in ledger.params.specs else "—",
                       render(spec.type, newest_params.value(name, on)))
    ids = {p.id for p in projects}
    histories = ledger.histories(sorted(ids))
    timelines = _timelines(ledger, ids, histories)
    units = {name: uid for uid, name in ledger.units()}
    documents = ledger.project_documents(ids)
    statuses = {pid: [(ev.date, ev.to_status) for ev in evs] for pid, evs in histories.items()}
    entered = {pid: steps[0].date for pid, steps in timelines.items() if steps and steps[0].kind == "create"}
    # The projects of each version of the rules, replayed and swept together.
    groups: dict[str, list[ProjectState]] = {}
    for p in projects:
        groups.setdefault(governing[p.id].name, []).append(p)
    replayed: dict[int, tuple] = {}
    base_swept: dict[int, list] = {}
    draft_swept: dict[int, list] = {}
    base_rules: dict[int, Any] = {}
    draft_of: dict[int, tuple[Jurisdiction, ParameterSet]] = {}
    for vname, members in groups.items():
        version = ledger.rule_version(vname)
        rules = ledger.rules_for(version=version)
        jur, params = draft_rules(target or version)
        # Draft guards reading other projects see them as recorded before each step's day.
        others = readers_as_recorded(projects, statuses, entered, ledger.registry.initial_status, jur.registry)
        for p in members:
            base_rules[p.id] = rules
            draft_of[p.id] = (jur, params)
            replayed[p.id] = _replay(ledger, jur, params, p, timelines[p.id], units, others, documents[p.id])
        base_swept.update(_swept(rules.pm, rules.params, members, on))
        draft_swept.update(_swept(jur.pm, params, [replayed[p.id][0] for p in members], on))
    final = [r[0] for r in replayed.values()]
    diffs = []
    for current in projects:
        recorded = histories[current.id]
        rules = base_rules[current.id]
        jur, params = draft_of[current.id]
        base_obl, base_found = _derived(rules.pm, rules.params, current, recorded, on,
                                        base_swept.get(current.id, ()),
                                        MemoryReader(projects, current.id, rules.registry), documents[current.id])
        state, history, refused, notes = replayed[current.id]
        draft_obl, draft_found = _derived(jur.pm, params, state, history, on, draft_swept.get(current.id, ()),
                                          MemoryReader(final, current.id, jur.registry), documents[current.id])
        diff = ProjectDiff(project_id=current.id, name=current.name, unit=current["unit"] or "",
                           status=ledger.registry.status_label(current.status), refused=tuple(refused),
                           obligations=tuple(_compare_obligations(base_obl, draft_obl)),
                           findings=tuple(_compare_findings(base_found, draft_found)), notes=tuple(notes))
        if diff.changed:
            diffs.append(diff)
    return WhatIf(on=on, overrides=shown, disabled=draft.disabled, examined=len(projects), projects=tuple(diffs),
                  version=draft.version)


def check_value(ledger: Ledger, name: str, raw: Any) -> Any:
    """A draft value typed like the parameter (for forms that check as you type)."""
    spec = ledger.params.require(name)
    return coerce(spec, raw, name)
