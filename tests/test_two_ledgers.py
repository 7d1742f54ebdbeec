"""Two ledgers open in one process each keep their own rows.

The models are declared once (tongchou.models); tongchou.binding resolves
them per thread to the ledger at work.  Before, they followed the ledger
opened last: a unit added through the first ledger landed in the second file.
"""
from __future__ import annotations

import datetime as dt
import threading

from tongchou.binding import bound
from tongchou.ledger import Ledger
from tongchou.models import Unit, database
from tongchou.reminders import set_unit_email, unit_emails

from .conftest import County


def _count(ledger: Ledger, table: str) -> int:
    """Rows of ``table`` read through the ledger's own connection (not the models)."""
    return ledger.db.execute_sql(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def _open_second(tmp_path, xichuan) -> Ledger:
    return Ledger.open(str(tmp_path / "second.db"), jurisdiction=xichuan, key_file=tmp_path / "second.key")


def test_each_ledger_writes_and_reads_its_own_rows(ledger, xichuan, tmp_path):
    second = _open_second(tmp_path, xichuan)  # opened last: the models' default
    try:
        first_county = County(ledger, "县教育局")
        second_county = County(second, "县卫健委")
        p1 = first_county.project(name="教育专网项目")
        first_county.act(p1, "apply", "unit", dt.date(2025, 6, 9))
        p2 = second_county.project(name="卫生信息平台")

        assert [u["unit"] for u in ledger.users() if u["role"] == "unit"] == ["县教育局"]
        assert [u["unit"] for u in second.users() if u["role"] == "unit"] == ["县卫健委"]
        assert _count(ledger, "unit") == 1 and _count(second, "unit") == 1
        assert _count(ledger, "event") == 1 and _count(second, "event") == 0
        assert [e["action"] for e in ledger.history(p1.id, first_county.users["unit"])][-1] == "apply"
        assert ledger.project(p1.id).get("name") == "教育专网项目"
        assert second.project(p2.id).get("name") == "卫生信息平台"
        assert ledger.verify_audit().ok and second.verify_audit().ok
    finally:
        second.close()


def test_a_module_function_follows_the_ledger_it_was_given(ledger, xichuan, tmp_path, system):
    County(ledger, "县教育局")
    second = _open_second(tmp_path, xichuan)
    try:
        County(second, "县教育局")
        admin = ledger.actor("admin1")
        set_unit_email(ledger, "县教育局", "jyj@example.cn", admin)
        assert unit_emails(ledger) == {"县教育局": "jyj@example.cn"}
        assert unit_emails(second) == {}
    finally:
        second.close()


def test_a_closed_ledger_leaves_the_other_usable(ledger, xichuan, tmp_path):
    second = _open_second(tmp_path, xichuan)
    second.add_unit("县卫健委")
    second.close()
    ledger.add_unit("县教育局")
    assert [u.name for u in Unit.select()] == ["县教育局"]  # the thread's ledger, not the closed one
    assert _count(ledger, "unit") == 1


def test_two_threads_work_with_two_ledgers_at_once(tmp_path, xichuan):
    ledgers = [Ledger.open(str(tmp_path / f"l{i}.db"), jurisdiction=xichuan, key_file=tmp_path / f"l{i}.key")
               for i in range(2)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(i: int) -> None:
        try:
            start.wait()
            for n in range(40):
                ledgers[i].add_unit(f"单位{i}-{n}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        for i, led in enumerate(ledgers):
            names = {r[0] for r in led.db.execute_sql('SELECT "name" FROM "unit"').fetchall()}
            assert names == {f"单位{i}-{n}" for n in range(40)}
            assert led.verify_audit().ok
    finally:
        for led in ledgers:
            led.close()


class _Holder:
    def __init__(self, db):
        self.db = db

    @bound
    def current(self):
        return database.obj

    @bound
    def through(self, other: "_Holder"):
        inner = other.current()
        return inner, database.obj


def test_a_nested_call_gives_the_database_back_to_the_outer_ledger():
    a, b = _Holder(object()), _Holder(object())
    inner, after = a.through(b)
    assert inner is b.db and after is a.db
    # at the top level the thread keeps the ledger it entered last
    b.current()
    assert database.obj is b.db
