"""Rules that look across projects, and rules that see a project's documents.

Toy plugins (citing the fictional 玩具办〔2026〕1号) next to the ``xichuan``
pack: a per-unit yearly quota on ``apply`` (a guard reading other projects),
a create-time guard, a finding that reads other projects, and rules that look
at uploaded documents.  The quota is raced by several processes, each with its
own ledger connection, on SQLite and on PostgreSQL: exactly one passes.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou import CREATE_PROJECT, Finding, Guard, Obligation, Parameter, hookimpl
from tongchou import whatif
from tongchou.documents import DocumentStore
from tongchou.errors import InvalidInput, NotFound, PermissionDenied, Refused
from tongchou.ledger import Ledger
from tongchou.models import AuditEntry, Document, Event
from tongchou.packs import load_jurisdiction
from tongchou.reads import NO_PROJECTS, DocumentInfo, MemoryReader, ProjectReader, as_recorded_on
from tongchou.vocabulary import ProjectState

from .conftest import County
from .toy_plugins import cite

D = dt.date
APPLY_DAY = D(2025, 6, 20)  # before xichuan's application deadline for year 2026
PDF = b"%PDF-1.7\n" + "申报书".encode() * 50
OPEN_STATUSES = ("draft", "rejected")  # not (or no longer) an application


# -- toy plugins ----------------------------------------------------------------

def _applied_elsewhere(ctx) -> list[ProjectState]:
    same = ctx.projects.find(unit=ctx.project["unit"], year=ctx.project["year"])
    return [p for p in same if p.status not in OPEN_STATUSES]


class Quota:
    """每个单位每年申报的项目不超过 toy_quota 个(玩具办〔2026〕1号第二条)."""

    TITLE = "玩具配额"

    def __init__(self, declared: bool = True, pause: float = 0.0):
        self.declared = declared
        self.pause = pause

    @hookimpl
    def tongchou_parameters(self):
        return [Parameter("toy_quota", "每个单位每年可申报的项目数", cite(2), "int", {D(2025, 1, 1): 1})]

    @hookimpl
    def tongchou_guards(self):
        def check(ctx):
            applied = _applied_elsewhere(ctx)
            if self.pause:  # widen the race window: without a lock, every racer would count 0
                time.sleep(self.pause)
            if len(applied) >= ctx.params["toy_quota"]:
                names = "、".join(p.name for p in applied)
                return f"本单位 {ctx.project['year']} 年度已申报{names},每个单位每年原则上只申报一个项目"
            return None
        return [Guard("toy.quota", ("apply",), check, cite(2), "每年申报数量", reads_projects=self.declared)]


class CreateLimit:
    """同一单位同一年度登记的项目不超过两个(第三条)."""

    TITLE = "玩具登记限额"
    seen: list = []

    @hookimpl
    def tongchou_guards(self):
        def check(ctx):
            CreateLimit.seen.append((ctx.project.id, ctx.projects.exclude))
            if ctx.projects.count(unit=ctx.project["unit"], year=ctx.project["year"]) >= 2:
                return "本单位该年度已登记两个项目"
            return None
        return [Guard("toy.create_limit", (CREATE_PROJECT,), check, cite(3), reads_projects=True)]


class Siblings:
    """Advice naming the unit's other projects of the year (第四条); takes only
    the arguments it needs (``project``, ``projects``)."""

    TITLE = "玩具提示"

    @hookimpl
    def tongchou_findings(self, project, projects):
        others = projects.find(unit=project["unit"], year=project["year"])
        if others:
            return [Finding("toy.siblings", "advice", cite(4),
                            f"本单位同年度另有 {len(others)} 个项目:" + "、".join(p.name for p in others))]
        return None


class Paperwork:
    """申报须附申报书(第五条);登记后十日内上传申报书(第六条)."""

    TITLE = "玩具材料"
    seen: list = []

    @hookimpl
    def tongchou_guards(self):
        def check(ctx):
            Paperwork.seen.append(ctx.documents)
            if not ctx.has_document("申报书"):
                return "申报前须上传申报书"
            return None
        return [Guard("toy.paperwork", ("apply",), check, cite(5))]

    @hookimpl
    def tongchou_obligations(self, project, history, documents):
        entered = history[0].date if history else D(2025, 6, 1)
        uploaded = next((d.uploaded for d in documents if d.kind == "申报书"), None)
        return [Obligation("toy.paperwork.upload", cite(6), entered + dt.timedelta(days=10),
                           "登记后十日内上传申报书", closed_on=uploaded)]


def _second_unit(c: County, name: str = "县卫健委"):
    c.ledger.add_unit(name)
    return c.ledger.add_user("unit2", "unit", name)


# -- guards that read other projects ----------------------------------------------


def test_quota_guard_refuses_the_second_apply_of_a_unit_in_a_year(toy_county):
    c = toy_county(Quota())
    first, second = c.project(name="一号项目"), c.project(name="二号项目")
    c.act(first, "apply", "unit", APPLY_DAY)
    with pytest.raises(Refused) as exc:
        c.act(second, "apply", "unit", APPLY_DAY)
    (refusal,) = [r for r in exc.value.refusals if r.code == "toy.quota"]
    assert "一号项目" in refusal.message and refusal.citation.cites(2)
    assert c.ledger.project(second.id).status == "draft"
    # another year, and another unit, are not counted
    c.act(c.project(name="次年项目", year=2027), "apply", "unit", APPLY_DAY)
    other = _second_unit(c)
    p = c.ledger.create_project({"name": "卫健项目", "unit": "县卫健委", "year": 2026, "category": "purchased_service",
                                 "kind": "information_system", "source": "unit_application",
                                 "estimate": "1000000"}, other, D(2025, 6, 1))
    c.ledger.act(p.id, "apply", other, APPLY_DAY)
    # the number is a dated parameter: a county that allows two changes one value
    c.ledger.set_parameter("toy_quota", D(2025, 1, 1), 2, c.users["admin"])
    c.act(second, "apply", "unit", APPLY_DAY)
    assert c.ledger.status_counts() == {"submitted": 4}


def test_the_reader_is_read_only_excludes_the_project_and_reads_in_one_query(toy_county):
    seen: list[tuple[ProjectState, ProjectReader]] = []

    class Peek:
        @hookimpl
        def tongchou_guards(self):
            def check(ctx):
                seen.append((ctx.project, ctx.projects))
                return None
            return [Guard("toy.peek", ("apply",), check, cite(2))]

    c = toy_county(Peek())
    ps = [c.project(name=f"项目{i}") for i in range(4)]
    c.project(name="次年", year=2027)
    c.act(ps[0], "apply", "unit", APPLY_DAY)
    project, reader = seen[-1]
    assert project.id == ps[0].id and reader.exclude == ps[0].id
    found = reader.find(unit=c.unit, year=2026)
    assert [p.id for p in found] == [p.id for p in ps[1:]]
    assert reader.count(unit=c.unit, year="2026") == 3 and reader.count(year=2027) == 1
    assert reader.count(status="submitted") == 0  # ps[0] itself is never counted
    assert reader.find(id=ps[0].id) == []
    assert reader.find(status=["draft"], name="项目2")[0].id == ps[2].id
    with pytest.raises(InvalidInput):
        reader.count(no_such_field=1)
    # read-only: no ledger, no database, no write method behind it
    public = {n for n in dir(reader) if not n.startswith("_")}
    assert public == {"exclude", "live", "find", "count", "exists"} and reader.live is True
    assert not any(isinstance(v, Ledger) for v in vars(reader).values())
    # one query per call, however many projects match (no query per project)
    calls: list[str] = []
    execute = c.ledger.db.execute_sql
    c.ledger.db.execute_sql = lambda sql, *a, **k: (calls.append(sql), execute(sql, *a, **k))[1]
    try:
        assert len(reader.find(unit=c.unit)) == 4
        assert reader.count(status="draft", year=2026) == 3
    finally:
        c.ledger.db.execute_sql = execute
    assert len(calls) == 2


def test_a_create_time_guard_counts_the_units_projects_before_the_project_exists(toy_county):
    CreateLimit.seen.clear()
    c = toy_county(CreateLimit())
    c.project(name="甲")
    c.project(name="乙")
    with pytest.raises(Refused) as exc:
        c.project(name="丙")
    assert [r.code for r in exc.value.refusals] == ["toy.create_limit"]
    assert CreateLimit.seen[-1] == (None, None)  # no id yet, so nothing to exclude
    assert c.ledger.projects()[1] == 2
    c.project(name="丙", year=2027)


def test_a_finding_reads_the_other_projects_of_its_unit(toy_county):
    c = toy_county(Siblings())
    first = c.project(name="甲")
    assert not [f for f in c.ledger.findings(D(2025, 6, 2)) if f.code == "toy.siblings"]
    second = c.project(name="乙")
    (found,) = [f for f in c.ledger.findings(D(2025, 6, 2)) if f.code == "toy.siblings"]
    assert found.project_id == second.id and "甲" in found.message and found.severity == "advice"
    # derived findings are stored: the first project learns of the second when re-derived
    c.ledger.recompute_all()
    found = {f.project_id: f.message for f in c.ledger.findings(D(2025, 6, 2)) if f.code == "toy.siblings"}
    assert "乙" in found[first.id] and "甲" in found[second.id]


# -- serialised per unit -----------------------------------------------------------

RACERS = 4


def _racer(url: str, key_file: str, declared: bool, project_id: int, barrier, results) -> None:
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", Quota(declared=declared, pause=0.3))])
    led = Ledger.open(url, jurisdiction=jur, key_file=Path(key_file))
    outcome = "error"
    try:
        unit = led.actor("unit1")
        barrier.wait(timeout=60)
        try:
            led.act(project_id, "apply", unit, APPLY_DAY)
            outcome = "ok"
        except Refused as exc:
            outcome = ",".join(r.code for r in exc.refusals)
    finally:
        led.close()
        results.put((project_id, outcome))


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "detected"])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_applies_of_one_unit_let_exactly_one_through(backend, declared, tmp_path, request):
    url = str(tmp_path / "l.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    key = tmp_path / "audit.key"
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", Quota())])
    with Ledger.open(url, jurisdiction=jur, key_file=key) as led:
        c = County(led)
        ids = [c.project(name=f"项目{i}").id for i in range(RACERS)]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(RACERS), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(url, str(key), declared, pid, barrier, results)) for pid in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
        assert p.exitcode == 0
    outcomes = dict(results.get(timeout=5) for _ in procs)
    assert sorted(outcomes.values()) == ["ok"] + ["toy.quota"] * (RACERS - 1)
    with Ledger.open(url, jurisdiction=jur, key_file=key) as led:
        assert Event.select().where(Event.action == "apply").count() == 1
        assert led.status_counts() == {"submitted": 1, "draft": RACERS - 1}
        assert led.verify_audit().ok


# -- rules see documents --------------------------------------------------------------


def test_guards_see_the_kinds_of_documents_uploaded(toy_county, tmp_path):
    Paperwork.seen.clear()
    c = toy_county(Paperwork())
    store = DocumentStore(tmp_path / "files")
    p = c.project()
    with pytest.raises(Refused) as exc:
        c.act(p, "apply", "unit", APPLY_DAY)
    assert [r.code for r in exc.value.refusals] == ["toy.paperwork"]
    store.add(c.ledger, p.id, "可研报告", "可研.pdf", PDF + b"1", c.users["unit"])
    assert c.ledger.check(p.id, "apply", c.users["unit"], APPLY_DAY)[0].code == "toy.paperwork"
    doc = store.add(c.ledger, p.id, "申报书", "申报书.pdf", PDF, c.users["unit"])
    c.act(p, "apply", "unit", APPLY_DAY)
    kinds = [d.kind for d in Paperwork.seen[-1]]
    assert kinds == ["可研报告", "申报书"]
    info = Paperwork.seen[-1][1]
    assert isinstance(info, DocumentInfo) and (info.name, info.digest, info.id) == ("申报书.pdf", doc.digest, doc.id)
    assert isinstance(info.uploaded, dt.date) and not hasattr(info, "data")


def test_uploading_and_removing_a_document_re_derives_the_obligations(toy_county, tmp_path):
    c = toy_county(Paperwork())
    store = DocumentStore(tmp_path / "files")
    p = c.project()
    (ob,) = c.ledger.obligations(project_id=p.id)
    assert ob.code == "toy.paperwork.upload" and ob.closed_on is None
    doc = store.add(c.ledger, p.id, "申报书", "申报书.pdf", PDF, c.users["unit"])
    assert c.ledger.obligations(project_id=p.id) == []
    (closed,) = c.ledger.obligations(project_id=p.id, open_only=False)
    assert closed.closed_on == doc_date(c, doc.id)
    with pytest.raises(PermissionDenied, match="删除"):
        store.remove(c.ledger, doc.id, c.users["oversight"])  # a reading role
    with pytest.raises(NotFound):
        store.remove(c.ledger, doc.id, _second_unit(c))  # another unit does not even see it
    assert c.ledger.obligations(project_id=p.id) == []
    store.remove(c.ledger, doc.id, c.users["unit"])
    (again,) = c.ledger.obligations(project_id=p.id)
    assert again.closed_on is None and store.list(c.ledger, p.id, c.users["unit"]) == []
    removed = AuditEntry.select().where(AuditEntry.kind == "document", AuditEntry.detail.contains('"remove"'))
    assert removed.count() == 1
    assert c.ledger.verify_audit().ok


def doc_date(c: County, doc_id: int) -> dt.date:
    (info,) = [d for d in c.ledger.project_documents([_project_of(doc_id)])[_project_of(doc_id)] if d.id == doc_id]
    return info.uploaded


def _project_of(doc_id: int) -> int:
    return Document.get_by_id(doc_id).project_id


def test_recompute_reads_documents_once_per_batch(toy_county, tmp_path):
    c = toy_county(Paperwork())
    store = DocumentStore(tmp_path / "files")
    ps = [c.project(name=f"项目{i}") for i in range(6)]
    for p in ps[:3]:
        store.add(c.ledger, p.id, "申报书", "申报书.pdf", PDF, c.users["unit"])
    calls: list[str] = []
    execute = c.ledger.db.execute_sql
    c.ledger.db.execute_sql = lambda sql, *a, **k: (calls.append(sql), execute(sql, *a, **k))[1]
    try:
        assert c.ledger.recompute_all() == 6
    finally:
        c.ledger.db.execute_sql = execute
    assert sum('FROM "document"' in sql for sql in calls) == 1
    open_ids = {o.project_id for o in c.ledger.obligations()}
    assert open_ids == {p.id for p in ps[3:]}


# -- what-if and readers without a ledger -----------------------------------------------


def test_what_if_judges_each_step_against_the_projects_recorded_before_its_day(toy_county):
    c = toy_county(Quota())
    c.ledger.set_parameter("toy_quota", D(2025, 1, 1), 2, c.users["admin"])
    first, second, third = (c.project(name=n) for n in ("甲", "乙", "丙"))
    c.act(first, "apply", "unit", D(2025, 6, 10))
    c.act(second, "apply", "unit", D(2025, 6, 12))
    unchanged = whatif.run(c.ledger, whatif.Draft(), on=D(2025, 6, 30))
    assert not [d for d in unchanged.projects if d.refused]
    strict = whatif.run(c.ledger, whatif.Draft({"toy_quota": "1"}), on=D(2025, 6, 30))
    refused = {d.project_id: [r.code for s in d.refused for r in s.refusals] for d in strict.projects if d.refused}
    # the first apply came before any other: only the second is over a quota of one
    assert refused == {second.id: ["toy.quota"]}
    assert third.id not in refused


def test_readers_without_a_ledger():
    assert NO_PROJECTS.find(unit="x") == [] and NO_PROJECTS.count() == 0 and not NO_PROJECTS.exists()
    states = [ProjectState(1, "draft", {"unit": "甲", "year": 2026}),
              ProjectState(2, "submitted", {"unit": "甲", "year": 2026}),
              ProjectState(3, "submitted", {"unit": "乙", "year": 2027})]
    reader = MemoryReader(states, exclude=2)
    assert [p.id for p in reader.find(unit="甲")] == [1]
    assert reader.count(status=["submitted", "draft"]) == 2 and reader.count(year=2027, unit="乙") == 1
    loaded: list[int] = []
    lazy = MemoryReader(lambda: loaded.append(1) or states)
    assert loaded == [] and lazy.count(status="submitted") == 2 and loaded == [1]


def test_doc_remove_on_the_command_line_takes_the_document_off_its_project(tmp_path, monkeypatch, capsys):
    from tongchou.cli import main
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_FILES", str(tmp_path / "files"))
    db = str(tmp_path / "ledger.db")
    with Ledger.open(db, jurisdiction="xichuan") as led:
        c = County(led)
        p = c.project()
        doc = DocumentStore.for_ledger(led).add(led, p.id, "申报书", "申报书.pdf", PDF, c.users["unit"])
        digest = led._row(p.id).derived
    assert main(["--db", db, "doc", "remove", str(doc.id), "--user", "unit1"]) == 0
    assert "已删除" in capsys.readouterr().out
    with Ledger.open(db) as led:
        assert Document.select().count() == 0
        assert led._row(p.id).derived == digest  # xichuan reads no documents: nothing to rewrite
        assert led.verify_audit().ok
    assert main(["--db", db, "doc", "remove", str(doc.id), "--user", "unit1"]) != 0


@settings(max_examples=60, deadline=None)
@given(offsets=st.lists(st.integers(min_value=0, max_value=30), min_size=0, max_size=6),
       entered=st.integers(min_value=0, max_value=30), probe=st.integers(min_value=-1, max_value=32))
def test_as_recorded_on_shows_what_happened_before_the_day(offsets, entered, probe):
    start = D(2026, 1, 1)
    dates = sorted(start + dt.timedelta(days=o) for o in offsets)
    statuses = {1: [(d, f"s{i}") for i, d in enumerate(dates)]}
    now = ProjectState(1, statuses[1][-1][1] if dates else "draft", {"unit": "甲"})
    day = start + dt.timedelta(days=probe)
    seen = as_recorded_on({1: now}, statuses, {1: start + dt.timedelta(days=entered)}, "draft", day)
    if start + dt.timedelta(days=entered) >= day:
        assert seen == []  # entered that day or later: not yet there
    else:
        before = [i for i, d in enumerate(dates) if d < day]  # the day's own events are not seen
        assert [s.status for s in seen] == [f"s{before[-1]}" if before else "draft"]
