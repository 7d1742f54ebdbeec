"""Importing a county's existing project ledger (台账) from an Excel workbook.

A 台账 is whatever the county kept in Excel: a merged title row or two, a header
row in Chinese, one project per row, amounts in 元 or 万元, dates typed as text
or stored as Excel dates.  This module

- finds the header row and maps its columns to project fields (by default
  through the Chinese labels the plugins give their fields; a YAML mapping
  file renames columns, gives an amount's unit, translates values);
- turns every cell into the field's type with :mod:`tongchou.values`, so a
  value is valid here exactly when it is valid in the web form or the CLI;
- checks every row like :meth:`Ledger.create_project` would (required fields,
  the acting user's unit, the rules' guards on ``project.create``) and reports
  each problem by row number and column header;
- writes all the rows in one transaction, or none (``partial`` writes the good
  ones), each with the audit entry a project gets when entered by hand, plus one
  entry for the import itself.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from . import auth, engine
from .audit import sm3_hex
from .db import write_transaction
from .errors import InvalidInput, PermissionDenied
from .import_headers import header_candidates, import_vocabulary, resolve_unit, skip_reason, unit_aliases
from .import_headers import find_header as _guess_header
from .import_history import build_history, milestone_columns, order_problems, split_date_and_number, write_events
from .models import Event, Project, ProjectParty, Unit, now
from .values import to_json_value
from .vocabulary import CREATE_PROJECT, Actor, Field, ProjectState
# The cells, the file and the column mapping have modules of their own; their
# names stay importable from here, as before.
from .import_cells import (MONEY_UNITS, CellError, _choice, _enum_lookup, _money, _show,  # noqa: F401
                           norm, parse_cell, split_unit)
from .import_files import (MAX_ARCHIVE_BYTES, MAX_COLUMNS, MAX_ENTRY_BYTES, MAX_FILE_BYTES,  # noqa: F401
                           MAX_ROWS, Sheet, check_archive, read_sheet)
from .import_mapping import ColumnMapping, ColumnRule, default_mapping, load_mapping  # noqa: F401
from .import_report import FileRefused, ImportRefused, ImportReport, Problem, Skipped, _file_report  # noqa: F401

#: rows per multi-row INSERT (SQLite allows 32766 variables; a finding row has 6)
BATCH = 500
#: rows looked at when searching for the header row (title rows come first)
HEADER_SCAN_ROWS = 30


# ---------------------------------------------------------------------------
# Reading the workbook


def _is_empty(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


#: words that mark a 台账's total rows, which are no projects
TOTAL_WORDS = {"合计", "总计", "小计", "共计"}


def _is_total(values: Iterable[Any]) -> bool:
    return any(isinstance(v, str) and norm(v) in TOTAL_WORDS for v in values)


def find_header(sheet: Sheet, mapping: ColumnMapping) -> int | None:
    """The row number of the header: the given one, or among the first rows the
    one whose cells name the most fields (title rows above it name none)."""
    if mapping.header_row is not None:
        return mapping.header_row
    best, best_count = None, 1
    for number, cells in sheet.rows[:HEADER_SCAN_ROWS]:
        named = {r.field for c in cells if isinstance(c, str) and c.strip()
                 for r in [mapping.rule(c)] if r is not None and r.field}
        if len(named) > best_count:
            best, best_count = number, len(named)
    return best


# ---------------------------------------------------------------------------
# The import


@attrs.frozen
class _Row:
    number: int
    values: dict[str, Any]
    headers: dict[str, str]  # field → the header it came from (for messages)
    milestones: tuple = ()   # (Milestone, date, 文号) in the pack's order
    history: tuple = ()      # the imported events they make


def _find_header(book: Sheet, cmap: ColumnMapping, registry, vocab):
    """The header row(s): scored by how many fields (and milestones) their
    cells name; see :func:`tongchou.import_headers.find_header`."""
    milestone_keys = {norm(h) for m in vocab.milestones for h in m.headers + m.number_headers}

    def named(texts: list[str]) -> int:
        fields = set()
        for i, text in enumerate(texts):
            if not text:
                continue
            _h, rule = cmap.rule_at(i, text)
            if rule is not None and rule.field:
                fields.add(rule.field)
            elif any(norm(c) in milestone_keys for c in header_candidates(text)):
                fields.add(f"@{text}")
        return len(fields)
    return _guess_header(book.rows, named, HEADER_SCAN_ROWS, cmap.header_row)


def _ignored_on_purpose(header, cmap: ColumnMapping) -> set[int]:
    """Columns a mapping file maps to nothing (``备注: null``)."""
    return {i for i, text in enumerate(header) if text and (r := cmap.rule_at(i, text)[1]) is not None and not r.field}


def _row_text(cells) -> str:
    return " ".join(str(c).strip() for c in cells if c is not None and str(c).strip())[:80]


def _columns(header: tuple[Any, ...], mapping: ColumnMapping, registry) -> tuple[
        list[tuple[int, str, ColumnRule]], list[str], list[Problem]]:
    used: list[tuple[int, str, ColumnRule]] = []
    ignored: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for i, cell in enumerate(header):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        text, rule = mapping.rule_at(i, str(cell).strip())
        if rule is None or not rule.field:
            ignored.append(text)
            continue
        if rule.field in seen:
            problems.append(Problem(None, text, f"与列「{seen[rule.field]}」对应同一字段"
                                                f"“{registry.fields[rule.field].label}”（{rule.field}），"
                                                "请在映射文件中指定用哪一列"))
            continue
        seen[rule.field] = text
        used.append((i, text, rule))
    return used, ignored, problems


def import_workbook(ledger, source: str | Path | bytes, actor: Actor, *,
                    mapping: str | Path | Mapping | ColumnMapping | None = None,
                    sheet: str | None = None, dry_run: bool = False, partial: bool = False,
                    date: dt.date | None = None, create_units: bool = False,
                    filename: str = "") -> ImportReport:
    """Check (and unless ``dry_run``, write) the projects of a 台账 workbook.

    All or nothing: when a row has a problem nothing is written and
    :class:`ImportRefused` carries the report (logged in the audit chain);
    ``partial`` writes the good rows instead.  A dry run writes nothing and
    returns the report, problems included.  Raises InvalidInput for a file that
    cannot be read as a 台账 at all, PermissionDenied for a user who may not
    enter projects.
    """
    date = date or dt.date.today()
    registry = ledger.registry
    rules = ledger.rules_for(version=ledger.version_on(date))  # the version in force on entry
    role = registry.roles.get(actor.role)
    if actor.role != "admin" and not (role and role.unit_scoped):
        raise PermissionDenied(f"角色“{role.label if role else actor.role}”不能导入项目，项目由建设单位或系统管理员登记")
    if create_units and actor.role != "admin":
        raise PermissionDenied("只有系统管理员可以在导入时新建单位")
    vocab = import_vocabulary(ledger.pm, registry)
    cmap = mapping if isinstance(mapping, ColumnMapping) else load_mapping(mapping, registry, vocab)
    try:
        check_archive(source)  # the limits, before reading the file whole
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise InvalidInput("file", f"无法读取文件 {source}：{exc.strerror}", "文件") from None
    filename = filename or (Path(source).name if not isinstance(source, bytes) else "")
    book = read_sheet(data, sheet or cmap.sheet)
    found = _find_header(book, cmap, registry, vocab)
    if found is None:
        raise FileRefused(_file_report(book.title, None, [Problem(
            None, "", f"工作表“{book.title}”中找不到表头行（应有“项目名称”“建设单位”等列名；"
                      "或在映射文件中用 header_row 指定）")]))
    header_row, last_header, header = found.first, found.last, found.headers
    used, ignored, file_problems = _columns(header, cmap, registry)
    marks = milestone_columns(header, {i for i, _h, _r in used} | _ignored_on_purpose(header, cmap),
                              vocab.milestones, header_candidates)
    marked = {m.header for m in marks}
    ignored = [h for h in ignored if h not in marked]
    given = {rule.field for _i, _h, rule in used} | set(cmap.defaults)
    if actor.unit:
        given.add("unit")
    for name, spec in registry.fields.items():
        if spec.required and name not in given:
            file_problems.append(Problem(None, spec.label, f"缺少必填列（字段 {name}）；请在表头中加上此列，"
                                                           "或在映射文件中指定对应的列"))
    if file_problems:
        raise FileRefused(_file_report(book.title, header_row, file_problems, used, ignored))

    # Cells → typed values, every problem of every row collected.
    lookups = {rule.field: _enum_lookup(registry.fields[rule.field], rule.values, vocab.values.get(rule.field))
               for _i, _h, rule in used if registry.fields[rule.field].type in ("enum", "enum_list")}
    date_field = Field("date", "日期", "date")
    problems: list[Problem] = []
    rows: list[_Row] = []
    skipped: list[Skipped] = []
    count = 0
    indexes = [i for i, _h, _r in used] + [m.index for m in marks]
    for number, cells in book.rows:
        if number <= last_header:
            if number < header_row and not _is_empty(cells):
                skipped.append(Skipped(number, "表头上方的标题行", _row_text(cells)))
            continue
        reason = skip_reason(cells, indexes)
        if reason is not None:
            skipped.append(Skipped(number, reason, _row_text(cells)))
            continue
        count += 1
        values: dict[str, Any] = {}
        headers: dict[str, str] = {}
        bad = False
        flagged: set[str] = set()
        for i, head, rule in used:
            spec = registry.fields[rule.field]
            headers[rule.field] = head
            raw = cells[i] if i < len(cells) else None
            try:
                value = parse_cell(spec, raw, unit=rule.unit or Decimal(1), _lookup=lookups.get(rule.field))
            except CellError as exc:
                problems.append(Problem(number, head, str(exc)))
                flagged.add(head)
                bad = True
                continue
            if value is not None and value != ():
                values[rule.field] = value
        dated: dict[str, tuple] = {}
        for m in marks:
            raw = cells[m.index] if m.index < len(cells) else None
            try:
                if m.number:
                    if raw is not None and str(raw).strip():
                        dated.setdefault(m.milestone.name, [m.milestone, None, "", m.header])[2] = str(raw).strip()
                    continue
                day, no = split_date_and_number(raw, lambda r: parse_cell(date_field, r))
            except CellError as exc:
                problems.append(Problem(number, m.header, str(exc)))
                bad = True
                continue
            if day is not None:
                entry = dated.setdefault(m.milestone.name, [m.milestone, None, "", m.header])
                entry[1], entry[3] = day, m.header
                entry[2] = entry[2] or no
        found_ms = [tuple(e) for ms in vocab.milestones for e in [dated.get(ms.name)] if e and e[1] is not None]
        for head, message in order_problems(found_ms, date):
            problems.append(Problem(number, head, message))
            bad = True
        for name, value in cmap.defaults.items():
            values.setdefault(name, value)
        if "unit" not in values and actor.unit:
            values["unit"] = actor.unit
        for name, spec in registry.fields.items():
            column = headers.get(name, spec.label)
            if spec.required and name not in values and column not in flagged:
                problems.append(Problem(number, column, "必填项，不能为空"))
                bad = True
        if not bad:
            rows.append(_Row(number, values, headers, tuple((m, d, n) for m, d, n, _h in found_ms)))

    def check_and_write() -> ImportReport:
        units = {name: uid for uid, name in Unit.select(Unit.id, Unit.name).tuples()}
        aliases = unit_aliases(ledger)
        existing = {(u, n, y): pid for pid, u, n, y in
                    Project.select(Project.id, Project.unit, Project.name, Project.year).tuples()}
        new_units: list[str] = []
        good: list[tuple[_Row, ProjectState]] = []
        in_file: dict[tuple, int] = {}
        for row in rows:
            fields = {name: row.values.get(name, False if spec.type == "bool" else spec.default)
                      for name, spec in registry.fields.items()}
            unit_head = row.headers.get("unit", registry.fields["unit"].label)
            for name, spec in registry.fields.items():  # 县卫健委 → 县卫生健康委员会 (unit aliases)
                if (name == "unit" or spec.type == "unit") and fields[name] is not None:
                    fields[name] = resolve_unit(fields[name], units, aliases) or fields[name]
            unit_name = fields["unit"]
            unit_id = units.get(unit_name)
            if unit_id is None:
                if not create_units:
                    problems.append(Problem(row.number, unit_head, f"未知单位“{unit_name}”（请先添加单位，"
                                                                   "或由系统管理员以“新建单位”方式导入）"))
                    continue
                if unit_name not in new_units:
                    new_units.append(unit_name)
                unit_id = -1 - new_units.index(unit_name)  # placeholder until written
            unknown = [(name, fields[name]) for name, spec in registry.fields.items()
                       if spec.type == "unit" and fields[name] is not None and fields[name] not in units]
            if unknown:
                name, value = unknown[0]
                problems.append(Problem(row.number, row.headers.get(name, registry.fields[name].label),
                                        f"未知单位“{value}”（请先添加单位）"))
                continue
            denied = None if unit_id < 0 else auth.may_create(registry, actor, unit_id)
            if denied is not None:
                problems.append(Problem(row.number, unit_head, denied.message))
                continue
            key = (unit_id, fields["name"], fields["year"])
            if key in existing:
                problems.append(Problem(row.number, row.headers.get("name", "项目名称"),
                                        f"台账中已有该单位 {fields['year']} 年度的同名项目（编号 {existing[key]}）"))
                continue
            if key in in_file:
                problems.append(Problem(row.number, row.headers.get("name", "项目名称"),
                                        f"与第 {in_file[key]} 行重复（同一单位、年度、项目名称）"))
                continue
            in_file[key] = row.number
            state = ProjectState(id=None, status=registry.initial_status, fields=fields, unit_id=unit_id)
            refusals = ledger._guard(CREATE_PROJECT, state, {}, (), actor, date, rules)
            if refusals:
                for r in refusals:
                    problems.append(Problem(row.number, "", r.label))
                continue
            if row.milestones:  # brought in at its real status, its history imported
                history, status = build_history(row.milestones, registry, state.status)
                state = attrs.evolve(state, status=status)
                row = attrs.evolve(row, history=history)
            good.append((row, state))
        problems.sort(key=lambda p: (p.row or 0,))
        report = ImportReport(sheet=book.title, header_row=header_row,
                              columns=tuple((h, r.field) for _i, h, r in used)
                              + tuple((m.header, f"@{m.milestone.action}") for m in marks),
                              ignored=tuple(ignored),
                              rows=count, good=len(good), problems=tuple(problems), dry_run=dry_run,
                              new_units=tuple(new_units), skipped=tuple(skipped),
                              header_rows=(header_row, last_header))
        if dry_run:
            return report
        if problems and not partial:
            raise ImportRefused(report)
        ids = _write(ledger, actor, good, new_units, date)
        ledger.audit.append("import", actor.name, {
            "file": filename, "sm3": sm3_hex(data), "sheet": book.title, "rows": count,
            "imported": len(ids), "skipped_rows": report.bad_rows, "new_units": new_units,
            "with_history": sum(1 for row, _s in good if row.history),
            "first_id": ids[0] if ids else None, "last_id": ids[-1] if ids else None, "date": date})
        return attrs.evolve(report, imported=tuple(ids))

    if dry_run:
        return check_and_write()
    try:
        with write_transaction(ledger.db):
            return check_and_write()
    except ImportRefused as exc:
        with write_transaction(ledger.db):
            ledger.audit.append("import_refused", actor.name, {
                "file": filename, "sm3": sm3_hex(data), "sheet": book.title, "rows": exc.report.rows,
                "bad_rows": exc.report.bad_rows, "problems": len(exc.report.problems), "date": date})
        raise


def _write(ledger, actor: Actor, good: list[tuple[_Row, ProjectState]], new_units: list[str],
           date: dt.date) -> list[int]:
    """Insert the checked rows (inside the caller's transaction), each as
    :meth:`Ledger.create_project` would: the row, its audit entry, what it owes.

    Obligations, findings and audit entries go in by the hundred: one query per
    row (the project's own insert, which yields its id) plus one per batch.
    """
    from .ledger import CORE_COLUMNS, derived_rows
    unit_ids: dict[int, int] = {}
    audit: list[tuple] = []  # (kind, detail, project_id[, action])
    for i, name in enumerate(new_units):
        unit_ids[-1 - i] = Unit.insert(name=name).execute()
        audit.append(("unit", {"unit": name}, None))
    rules = ledger.rules_for(version=ledger.version_on(date))  # the version in force on entry
    ids: list[int] = []
    obligations: list[tuple] = []
    findings: list[tuple] = []
    digests: dict[str, list[int]] = {}
    insert = _Inserter(ledger.db, Project)
    insert_event = _Inserter(ledger.db, Event)
    stamp = now()
    for row, state in good:
        values = state.fields
        unit_id = unit_ids.get(state.unit_id, state.unit_id)
        data = {k: to_json_value(v) for k, v in values.items() if k not in CORE_COLUMNS}
        pid = insert({Project.name: values["name"], Project.unit: unit_id, Project.year: values["year"],
                      Project.estimate: values.get("estimate"), Project.status: state.status,
                      Project.data: data, Project.created_on: date, Project.created_by: actor.id,
                      Project.rules: rules.version.tag, Project.version: 1 + len(row.history), Project.derived: "",
                      Project.created_at: stamp, Project.updated_at: stamp})
        audit.append(("project", {"op": "create", "fields": to_json_value(values), "date": date,
                                  "import": True}, pid))
        if row.history:  # the milestones of the 台账, as imported events (tongchou.import_history)
            audit.extend(write_events(ledger, actor, pid, row.history, insert_event, stamp))
        # What Ledger._recompute derives and digests for the project and its history.
        obs, fis = engine.derive(rules.pm, rules.params,
                                 attrs.evolve(state, id=pid, unit_id=unit_id, version=1 + len(row.history)),
                                 row.history, ledger.project_reader(exclude=pid), ())
        ob_rows, fi_rows, digest = derived_rows(pid, obs, fis)
        obligations += ob_rows
        findings += fi_rows
        digests.setdefault(digest, []).append(pid)
        ids.append(pid)
    ledger.insert_derived(obligations, findings)
    party_rows = [{"project": pid, "field": f, "unit": u} for pid, (_row, state) in zip(ids, good)
                  for f, u in ledger._party_ids(state.fields).items()]
    for i in range(0, len(party_rows), BATCH):
        ProjectParty.insert_many(party_rows[i:i + BATCH]).execute()
    # Digests are mostly one per project (a duplicate check names other projects):
    # one prepared UPDATE run for all, rather than a query built per digest.
    mark = ledger.db.param
    pairs = [(digest, pid) for digest, pids in digests.items() for pid in pids]
    if pairs:
        ledger.db.cursor().executemany(f'UPDATE "project" SET "derived" = {mark} WHERE "id" = {mark}', pairs)
    ledger._seal("project", ids)
    ledger.audit.append_many(actor.name, [(e[0], e[1], e[2], e[3] if len(e) > 3 else None) for e in audit])
    return ids


class _Inserter:
    """Single-row INSERTs of one shape, with the SQL built once.

    peewee spends most of an insert composing its SQL; a 10,000-row import
    would spend seconds on it.  The first row goes through peewee, which gives
    the SQL and the column order its parameters follow; if those are the values
    the fields' own ``db_value`` make, later rows reuse that SQL.
    """

    def __init__(self, db, model):
        self.db, self.model = db, model
        self.sql: str | None = None
        self.columns: list | None = None
        self.returning = False

    def __call__(self, row: dict) -> int:
        if self.sql is None:
            query = self.model.insert(row)
            sql, params = query.sql()
            ordered = sorted(row, key=lambda f: f._sort_key)
            if list(params) == [f.db_value(row[f]) for f in ordered]:
                self.sql, self.columns = sql, ordered
                self.returning = "RETURNING" in sql.upper()
            return query.execute()
        cursor = self.db.execute_sql(self.sql, [f.db_value(row[f]) for f in self.columns])
        return cursor.fetchone()[0] if self.returning else cursor.lastrowid
