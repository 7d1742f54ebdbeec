"""The compliance sweep: every open finding and obligation of the ledger on
a date in a few set-based queries, ledger-wide notices, and the counts and
totals dashboards show.  Part of :class:`~tongchou.ledger.Ledger`."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
from peewee import fn

from . import parties
from .errors import ConfigurationError, InvalidInput
from .models import Project, Unit
from .results import LedgerFinding, LedgerObligation, Sweep
from .storage import _Decoder, _LazyFields
from .vocabulary import Actor, ProjectState

#: how many projects one ``tongchou_sweep`` call is given
SWEEP_CHUNK = 5000


class SweepMixin:
    """Findings on a date, notices and dashboard counts."""

    def findings(self, on: dt.date | None = None, actor: Actor | None = None, *,
                 project_id: int | None = None, include_advice: bool = True) -> list[LedgerFinding]:
        """Open findings on ``on``: those the rules derived, an ``overdue``
        finding for every open obligation whose due date is before ``on``, and
        what plugins see on that date (:func:`~tongchou.hookspecs.tongchou_sweep`).
        A fixed number of queries, whatever the size of the ledger."""
        on = on or dt.date.today()
        if project_id is not None:
            self._readable_row(project_id, actor)
        found, _ = self._sweep(on, actor, project_id, include_advice, want_obligations=False)
        return found

    def sweep(self, on: dt.date | None = None, actor: Actor | None = None, *,
              include_advice: bool = True) -> "Sweep":
        """The compliance sweep: every open finding and every open obligation of
        every project ``actor`` may see (all, without an actor) on ``on``.

        Set-based: one query for the stored findings, one for the open
        obligations (the overdue ones among them become findings), and, only
        when a plugin implements ``tongchou_sweep``, one query per
        :data:`SWEEP_CHUNK` projects to hand them to it.
        """
        on = on or dt.date.today()
        found, obligations = self._sweep(on, actor, None, include_advice, want_obligations=True)
        return Sweep(on=on, findings=found, obligations=obligations)

    def _sweep(self, on: dt.date, actor: Actor | None, project_id: int | None, include_advice: bool,
               want_obligations: bool) -> tuple[list[LedgerFinding], list[LedgerObligation]]:
        where, params = self._scope_sql(actor, project_id)
        scope = parties.scope(self.registry, actor)
        decode = _Decoder(self.jurisdiction.title)
        cite_of, date_of = decode.citation, decode.date

        # Findings the rules derived and stored (one query).
        fwhere = list(where)
        if not include_advice:
            fwhere.append("f.\"severity\" <> 'advice'")
        sql = ('SELECT f."project_id", p."name", u."name", f."code", f."severity", f."document", '
               'f."articles", f."message" FROM "finding" AS f '
               'JOIN "project" AS p ON f."project_id" = p."id" JOIN "unit" AS u ON p."unit_id" = u."id"')
        if fwhere:
            sql += " WHERE " + " AND ".join(fwhere)
        out = [LedgerFinding(pid, pname, uname, code, severity, cite_of(doc, arts), message)
               for pid, pname, uname, code, severity, doc, arts, message
               in self.db.execute_sql(sql.replace("?", self.db.param), params)]
        # Open obligations (one query): the overdue ones are findings too.
        owhere = ['o."closed_on" IS NULL', *where]
        if not want_obligations:
            owhere.append('o."due" < ?')
        sql = ('SELECT o."project_id", p."name", u."name", o."code", o."document", o."articles", o."due", '
               'o."message" FROM "obligation" AS o '
               'JOIN "project" AS p ON o."project_id" = p."id" JOIN "unit" AS u ON p."unit_id" = u."id" '
               'WHERE ' + " AND ".join(owhere) + ' ORDER BY o."due", o."project_id", o."code"')
        oparams = params + ([on.isoformat()] if not want_obligations else [])
        obligations = []
        late: dict[dt.date, str] = {}  # what an overdue message adds, per due date (a few hundred)
        for pid, pname, uname, code, doc, arts, due, message in self.db.execute_sql(
                sql.replace("?", self.db.param), oparams):
            due = date_of(due)
            citation = cite_of(doc, arts)
            if want_obligations:
                obligations.append(LedgerObligation(pid, pname, uname, code, citation, due, message))
            if due < on:
                tail = late.get(due)
                if tail is None:
                    tail = late[due] = f"（应于 {due} 前完成，已逾期 {(on - due).days} 天）"
                out.append(LedgerFinding(pid, pname, uname, f"{code}.overdue", "overdue", citation,
                                         f"{message}{tail}", due))
        out.extend(self._sweep_hook(on, scope, project_id, include_advice))
        order = {"overdue": 0, "violation": 1, "advice": 2}
        out.sort(key=lambda f: (order[f.severity], f.project_id, f.citation.articles, f.code))
        return out, obligations

    def _sweep_hook(self, on: dt.date, scope: "parties.Scope | None", project_id: int | None,
                    include_advice: bool, remember: bool = False) -> list[LedgerFinding]:
        """Findings plugins see on ``on`` (``tongchou_sweep``), asked for
        :data:`SWEEP_CHUNK` projects at a time; nothing is read when no plugin
        implements the hook.  ``remember``: the answer is kept for the same
        question until the next write (see below)."""
        # Each version of the rules asks its own plugins about the projects it
        # governs (one version unless the pack declares several).
        hooks = {v.name: v.jurisdiction.pm.hook.tongchou_sweep for v in self.rule_versions}
        hooks = {name: h for name, h in hooks.items() if h.get_hookimpls()}
        if not hooks or (not include_advice and all(
                _severities(i) == {"advice"} for h in hooks.values() for i in h.get_hookimpls())):
            return []
        # The same question again while nothing was written (every write moves
        # the audit chain's head): the home page asks it for its counts and for
        # its first rows, and at a province's scale it is a third of a second.
        if not remember:
            return self._ask_sweep_hooks(hooks, on, scope, project_id, include_advice)
        head = self.db.execute_sql('SELECT "last_id", "last_mac" FROM "audit_head"').fetchone()
        key = (on, scope, project_id, include_advice, tuple(head) if head else None,
               self._params_signature)
        memo = self._sweep_memo
        if memo is not None and memo[0] == key:
            return list(memo[1])
        out = self._ask_sweep_hooks(hooks, on, scope, project_id, include_advice)
        self._sweep_memo = (key, tuple(out))
        return out

    def _ask_sweep_hooks(self, hooks: dict, on: dt.date, scope: "parties.Scope | None", project_id: int | None,
                         include_advice: bool) -> list[LedgerFinding]:
        # The union of the statuses the implementations look at (None when one
        # of them looks at every project; an advice-only one adds none when
        # advice is not wanted), and of the severities they declared (None
        # when one did not say).
        statuses: set[str] | None = set()
        declared: set[str] | None = set()
        for impl in (i for h in hooks.values() for i in h.get_hookimpls()):
            severities = _severities(impl)
            declared = None if declared is None or severities is None else declared | severities
            if not include_advice and severities == {"advice"}:
                continue
            marked = getattr(impl.function, "tongchou_sweep_statuses", None)
            statuses = None if statuses is None or marked is None else statuses | marked
        out: list[LedgerFinding] = []
        last = 0
        sql = ('SELECT p."id", p."name", u."name", p."year", p."estimate", p."status", p."data", p."unit_id", '
               'p."version", p."rules", p."created_on" FROM "project" AS p JOIN "unit" AS u ON p."unit_id" = u."id" '
               'WHERE p."id" > ?')
        extra: list[Any] = []
        if scope is not None:
            term, values = scope.sql("p")
            sql += " AND " + term
            extra += values
        if project_id is not None:
            sql += ' AND p."id" = ?'
            extra.append(int(project_id))
        if statuses is not None:
            if not statuses:
                return []
            sql += f' AND p."status" IN ({", ".join("?" for _ in statuses)})'
            extra += sorted(statuses)
        sql = (sql + ' ORDER BY p."id" LIMIT ?').replace("?", self.db.param)
        versions = {v.name: v for v in self.rule_versions}
        while True:
            rows = self.db.execute_sql(sql, (last, *extra, SWEEP_CHUNK)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            # Fields are decoded only for the projects a plugin looks into: most
            # answers are decided by the status alone.
            groups: dict[str, list[ProjectState]] = {}
            for pid, name, uname, year, fen, status, data, unit_id, version, tag, created in rows:
                key = self._version_of(tag, created).name if len(versions) > 1 else next(iter(versions))
                groups.setdefault(key, []).append(
                    ProjectState(id=pid, status=status, unit_id=unit_id, version=version,
                                 fields=_LazyFields(self._fields, name, uname, year, fen, data, self._field)))
            names = {r[0]: (r[1], r[2]) for r in rows}
            for vname, states in groups.items():
                hook = hooks.get(vname)
                if hook is None:
                    continue
                rules = self.rules_for(version=versions[vname])
                asked = {s.id for s in states}
                for result in hook(projects=states, on=on, params=rules.params):
                    for pid, found in (result or {}).items():
                        if pid not in asked:
                            raise ConfigurationError(
                                f"tongchou_sweep answered for project {pid}, which it was not asked about")
                        for f in found:
                            if f.severity == "overdue":
                                raise ConfigurationError(f"finding {f.code!r}: overdue findings come from obligations")
                            if declared is not None and f.severity not in declared:
                                raise ConfigurationError(
                                    f"finding {f.code!r} is {f.severity!r}, but the tongchou_sweep implementations "
                                    f"declared only {sorted(declared)} (sweep_statuses(..., severities=...))")
                            if (f.severity == "advice" and not include_advice) or rules.registry.rule_disabled(f.code):
                                continue
                            out.append(LedgerFinding(pid, names[pid][0], names[pid][1], f.code, f.severity,
                                                     rules.registry.cite(f.citation), f.message))
            if len(rows) < SWEEP_CHUNK:
                break
        return out

    # -- dashboards at province scale -----------------------------------------

    def finding_counts(self, actor: Actor | None = None, on: dt.date | None = None, *,
                       by: str = "severity", include_advice: bool = True) -> dict[str, int]:
        """How many open findings :meth:`findings` would give on ``on``, per
        ``severity`` (or per ``unit`` name), counted in SQL without building
        them: grouped counts of the stored findings and of the open obligations
        due before ``on`` (the overdue ones), plus what ``tongchou_sweep``
        plugins see (only the projects in the statuses they look at)."""
        on = on or dt.date.today()
        if by not in ("severity", "unit"):
            raise InvalidInput("by", "只能按 severity 或 unit 计数")
        where, params = self._scope_sql(actor, None)
        key_f = 'f."severity"' if by == "severity" else 'u."name"'
        key_o = "'overdue'" if by == "severity" else 'u."name"'
        join = ' JOIN "unit" AS u ON p."unit_id" = u."id"' if by == "unit" else ""
        fwhere = list(where) + ([] if include_advice else ["f.\"severity\" <> 'advice'"])
        counts: dict[str, int] = {}
        sql = (f'SELECT {key_f}, COUNT(*) FROM "finding" AS f{_project_join("f", where, join)}'
               + (" WHERE " + " AND ".join(fwhere) if fwhere else "") + " GROUP BY 1")
        for key, n in self.db.execute_sql(sql.replace("?", self.db.param), params):
            counts[key] = counts.get(key, 0) + int(n)
        sql = (f'SELECT {key_o}, COUNT(*) FROM "obligation" AS o{_project_join("o", where, join)}'
               ' WHERE ' + " AND ".join(['o."closed_on" IS NULL', 'o."due" < ?', *where]) + " GROUP BY 1")
        for key, n in self.db.execute_sql(sql.replace("?", self.db.param), [on.isoformat(), *params]):
            counts[key] = counts.get(key, 0) + int(n)
        for f in self._sweep_hook(on, parties.scope(self.registry, actor), None, include_advice, remember=True):
            key = f.severity if by == "severity" else f.unit
            counts[key] = counts.get(key, 0) + 1
        return counts

    def top_findings(self, actor: Actor | None = None, on: dt.date | None = None, limit: int = 50, *,
                     include_advice: bool = False) -> list[LedgerFinding]:
        """The first ``limit`` of :meth:`findings` (same order: overdue, then
        violations, then advice; by project), read from SQL a severity at a time
        and only for the first ``limit`` projects that have one, instead of
        building every finding of the ledger."""
        on = on or dt.date.today()
        where, params = self._scope_sql(actor, None)
        decode = _Decoder(self.jurisdiction.title)
        cite_of, date_of = decode.citation, decode.date
        order = {"overdue": 0, "violation": 1, "advice": 2}
        hooked = self._sweep_hook(on, parties.scope(self.registry, actor), None, include_advice, remember=True)
        out: list[LedgerFinding] = []
        for severity in ("overdue", "violation", "advice"):
            if len(out) >= limit or (severity == "advice" and not include_advice):
                break
            if severity == "overdue":
                cond = ['o."closed_on" IS NULL', 'o."due" < ?', *where]
                first = (f'SELECT DISTINCT o."project_id" FROM "obligation" AS o{_project_join("o", where)} '
                         f'WHERE {" AND ".join(cond)} ORDER BY 1 LIMIT {int(limit)}')
                sql = ('SELECT o."project_id", p."name", u."name", o."code", o."document", o."articles", o."due", '
                       'o."message" FROM "obligation" AS o JOIN "project" AS p ON o."project_id" = p."id" '
                       'JOIN "unit" AS u ON p."unit_id" = u."id" '
                       f'WHERE {" AND ".join(cond)} AND o."project_id" IN ({first})')
                rows = []
                for pid, pname, uname, code, doc, arts, due, message in self.db.execute_sql(
                        sql.replace("?", self.db.param), [on.isoformat(), *params, on.isoformat(), *params]):
                    due = date_of(due)
                    rows.append(LedgerFinding(pid, pname, uname, f"{code}.overdue", "overdue", cite_of(doc, arts),
                                              f"{message}（应于 {due} 前完成，已逾期 {(on - due).days} 天）", due))
            else:
                cond = ['f."severity" = ?', *where]
                first = (f'SELECT DISTINCT f."project_id" FROM "finding" AS f{_project_join("f", where)} '
                         f'WHERE {" AND ".join(cond)} ORDER BY 1 LIMIT {int(limit)}')
                sql = ('SELECT f."project_id", p."name", u."name", f."code", f."document", f."articles", f."message" '
                       'FROM "finding" AS f JOIN "project" AS p ON f."project_id" = p."id" '
                       'JOIN "unit" AS u ON p."unit_id" = u."id" '
                       f'WHERE {" AND ".join(cond)} AND f."project_id" IN ({first})')
                rows = [LedgerFinding(pid, pname, uname, code, severity, cite_of(doc, arts), message)
                        for pid, pname, uname, code, doc, arts, message in self.db.execute_sql(
                            sql.replace("?", self.db.param), [severity, *params, severity, *params])]
            rows += [f for f in hooked if f.severity == severity]
            rows.sort(key=lambda f: (order[f.severity], f.project_id, f.citation.articles, f.code))
            out += rows[:limit - len(out)]
        return out

    def notices(self, on: dt.date | None = None) -> list:
        """Ledger-wide notices on ``on`` (e.g. the rules' trial period is over)."""
        on = on or dt.date.today()
        # Cited as this jurisdiction cites (a pack reusing another's plugins maps their articles).
        out = [attrs.evolve(n, citation=self.registry.cite(n.citation))
               for result in self.pm.hook.tongchou_ledger_notices(params=self.params, on=on)
               for n in (result or ())]
        out += self._rules_notices(on, out)  # the newest version of the rules has expired
        return sorted(out, key=lambda n: (n.citation.articles, n.code))

    # -- counts for dashboards -----------------------------------------------

    def status_counts(self, actor: Actor | None = None) -> dict[str, int]:
        q = Project.select(Project.status, fn.COUNT(Project.id)).group_by(Project.status)
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            q = q.where(scope.expr())
        return dict(q.tuples())

    def status_counts_by_unit(self, actor: Actor | None = None) -> dict[str, dict[str, int]]:
        """Project counts per unit name and status, in one grouped query (the
        county overview's progress by unit)."""
        q = (Project.select(Unit.name, Project.status, fn.COUNT(Project.id))
             .join(Unit, on=(Project.unit == Unit.id)).group_by(Unit.name, Project.status))
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            q = q.where(scope.expr())
        out: dict[str, dict[str, int]] = {}
        for unit, status, n in q.tuples():
            out.setdefault(unit, {})[status] = n
        return out

    def estimate_totals(self, actor: Actor | None = None, group_by: str = "year") -> dict[Any, Decimal]:
        """Sum of estimates per ``year`` or per ``unit`` (name), in one query
        (one scan of an index on year or unit and estimate, migration 0013)."""
        key = {"year": Project.year, "unit": Unit.name}.get(group_by)
        if key is None:
            raise InvalidInput("group_by", "只能按 year 或 unit 汇总")
        q = Project.select(key, fn.SUM(Project.estimate))
        if group_by == "unit":  # by year the unit's row is not needed: the scope is on the project
            q = q.join(Unit, on=(Project.unit == Unit.id))
        q = q.group_by(key).order_by(key)
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            q = q.where(scope.expr())
        return {k: (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01")) for k, fen in q.tuples()}

    def total_estimate(self, actor: Actor | None = None) -> Decimal:
        q = Project.select(fn.SUM(Project.estimate))
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            q = q.where(scope.expr())
        fen = q.scalar() or 0
        return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


def _severities(impl) -> set[str] | None:
    """The severities a ``tongchou_sweep`` implementation declared (None: not said)."""
    declared = getattr(impl.function, "tongchou_sweep_severities", None)
    return None if declared is None else set(declared)


def _project_join(alias: str, where: list[str], then: str = "") -> str:
    """The join from ``alias``'s rows to their project, when the query needs
    the project: to limit it to a scope (``where``), or for ``then`` (a further
    join).  A province-wide count then reads one covering index instead of
    looking up the project of each of tens of thousands of rows."""
    if not where and not then:
        return ""
    return f' JOIN "project" AS p ON {alias}."project_id" = p."id"{then}'
