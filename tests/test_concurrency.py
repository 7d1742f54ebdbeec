"""Concurrent writers: no lost update, every accepted action in the ledger, the
audit chain intact — on an SQLite file and on PostgreSQL.  Bounded and on
loopback only."""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import threading

import pytest

from tongchou.errors import Conflict, Refused
from tongchou.ledger import Ledger
from tongchou.models import Event, Project

WORKERS = 4
ACTIONS_EACH = 25


def _worker(url: str, key_file: str, worker: int, project_ids: list[int], results) -> None:
    led = Ledger.open(url, key_file=__import__("pathlib").Path(key_file))
    done = 0
    try:
        bureau = led.actor("bureau")
        for i in range(ACTIONS_EACH):
            pid = project_ids[(worker + i) % len(project_ids)]
            led.act(pid, "order_rectification", bureau, dt.date(2026, 1, 1),
                    {"deadline": "2026-03-01", "reason": f"worker {worker} #{i}"})
            done += 1
    finally:
        led.close()
        results.put((worker, done))


def _setup(url: str, key_file) -> list[int]:
    with Ledger.open(url, jurisdiction="xichuan", key_file=key_file) as led:
        led.add_unit("县教育局")
        unit = led.add_user("staff", "unit", "县教育局")
        led.add_user("bureau", "bureau")
        ids = []
        for i in range(3):
            p = led.create_project({"name": f"项目{i}", "unit": "县教育局", "year": 2026, "category": "purchased_service",
                                    "kind": "information_system", "source": "ad_hoc"}, unit, dt.date(2026, 1, 1))
            led.act(p.id, "apply", unit, dt.date(2026, 1, 1))
            ids.append(p.id)
        return ids


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_many_processes_writing_at_once_lose_nothing(backend, tmp_path, request):
    url = str(tmp_path / "l.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    key = tmp_path / "audit.key"
    ids = _setup(url, key)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, str(key), w, ids, results)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
        assert p.exitcode == 0
    done = dict(results.get(timeout=5) for _ in procs)
    assert sum(done.values()) == WORKERS * ACTIONS_EACH
    with Ledger.open(url, key_file=key) as led:
        orders = Event.select().where(Event.action == "order_rectification").count()
        assert orders == WORKERS * ACTIONS_EACH
        for pid in ids:
            events = Event.select().where(Event.project == pid).count()
            seqs = [e.seq for e in Event.select().where(Event.project == pid).order_by(Event.seq)]
            assert seqs == list(range(1, events + 1))
            assert Project.get_by_id(pid).version == 1 + events
        assert led.verify_audit().ok


def test_two_staff_acting_on_one_project_get_one_success_and_one_conflict(county):
    led = county.ledger
    p = county.project(source="ad_hoc")
    county.act(p, "apply", "unit", dt.date(2026, 1, 1))
    seen = led.project(p.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(role: str):
        barrier.wait()
        try:
            led.act(p.id, "order_rectification", county.users[role], dt.date(2026, 1, 2),
                    {"deadline": "2026-02-01", "reason": role}, expected_version=seen.version)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Refused as exc:  # pragma: no cover - would be a bug
            outcomes.append(f"refused {exc}")

    threads = [threading.Thread(target=act, args=(r,)) for r in ("bureau", "drc")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Event.select().where(Event.project == p.id, Event.action == "order_rectification").count() == 1


def test_a_write_whose_version_moved_on_adds_no_event_and_is_a_conflict(county, monkeypatch):
    """The project's update and its event go in one statement on PostgreSQL:
    when the update finds the version moved on (another writer between the
    read and the write), no event may be written either."""
    led = county.ledger
    p = county.project(source="ad_hoc")
    county.act(p, "apply", "unit", dt.date(2026, 1, 1))
    events = Event.select().where(Event.project == p.id).count()
    real_row = led._action_row

    def stale_row(project_id):  # the row as read just before another writer's commit
        row, documents = real_row(project_id)
        row.version -= 1
        return row, documents

    monkeypatch.setattr(led, "_action_row", stale_row)
    with pytest.raises(Conflict):
        led.act(p.id, "order_rectification", county.users["bureau"], dt.date(2026, 1, 2),
                {"deadline": "2026-02-01", "reason": "stale"})
    monkeypatch.undo()
    assert Event.select().where(Event.project == p.id).count() == events
    assert led.project(p.id).version == 2
    assert led.verify_audit().ok
