"""Shared fixtures: ledgers on SQLite (a WAL file) and on PostgreSQL.

PostgreSQL tests use ``TONGCHOU_TEST_POSTGRES`` (default
postgresql://postgres@127.0.0.1:5432/test), each in a schema of its own that
is dropped afterwards; where no server answers they are skipped with the reason.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid

import pytest

from tongchou.db import open_database, postgres_schema
from tongchou.ledger import SYSTEM, Ledger
from tongchou.packs import load_jurisdiction

PG_URL = os.environ.get("TONGCHOU_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_pg_reason: list[str] = []


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    if not _pg_reason:
        try:
            db = open_database(PG_URL + ("&" if "?" in PG_URL else "?") + "connect_timeout=3")
            db.connect()
            db.execute_sql("SELECT 1")
            db.close()
            _pg_reason.append("")
        except Exception as exc:  # any failure to connect means: skip, saying why
            _pg_reason.append(f"no PostgreSQL at {PG_URL}: {type(exc).__name__}: {str(exc).strip()[:160]}")
    return _pg_reason[0] or None


@pytest.fixture(scope="session")
def xichuan():
    return load_jurisdiction("xichuan")


@pytest.fixture
def pg_url():
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema(PG_URL, f"tc_test_{uuid.uuid4().hex[:10]}") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_url(request, tmp_path):
    """A fresh ledger URL on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "ledger.db")
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def ledger(backend_url, xichuan, tmp_path, monkeypatch):
    """An empty xichuan ledger with the audit key in the test's own folder."""
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    led = Ledger.open(backend_url, jurisdiction=xichuan)
    yield led
    led.close()


DIMS = ["necessity", "scale", "technology", "security", "intensiveness"]
CLAUSES = ["scope", "standards", "technical_specs", "schedule", "equipment_list",
           "acceptance_requirements", "training", "payment", "documentation", "warranty",
           "intellectual_property", "confidentiality", "after_sales", "liability"]
DOCS = ["summary", "financial_report", "audit_report", "security_risk_assessment"]


class County:
    """A small county on a ledger: one unit, a user per role, helpers to act."""

    def __init__(self, ledger: Ledger, unit: str = "县教育局"):
        self.ledger = ledger
        self.unit = unit
        ledger.add_unit(unit)
        self.users = {}
        for role in ledger.registry.roles:
            if role == "unit":
                self.users[role] = ledger.add_user("unit1", "unit", unit)
            else:
                self.users[role] = ledger.add_user(role if role != "admin" else "admin1", role)

    def project(self, day=dt.date(2025, 6, 1), **fields):
        base = {"name": "测试项目", "unit": self.unit, "year": 2026, "category": "purchased_service",
                "kind": "information_system", "source": "unit_application", "estimate": "1000000"}
        base.update(fields)
        return self.ledger.create_project(base, self.users["unit"], day)

    def act(self, project, action, role, day, **args):
        pid = project if isinstance(project, int) else project.id
        return self.ledger.act(pid, action, self.users[role], day, args)


@contextlib.contextmanager
def statements(ledger: Ledger):
    """The SQL ``ledger`` sends through ``execute_sql`` inside the block, in order."""
    seen: list[str] = []
    real = ledger.db.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    ledger.db.execute_sql = execute_sql
    try:
        yield seen
    finally:
        ledger.db.execute_sql = real


@pytest.fixture
def toy_county():
    """``toy_county(plugin, ...)``: a County on an in-memory xichuan ledger with
    the given toy plugins registered (named toy, toy2, ...)."""
    opened: list[Ledger] = []

    def make(*plugins) -> County:
        named = [(f"toy{i + 1 if i else ''}", p) for i, p in enumerate(plugins)]
        jur = load_jurisdiction("xichuan", extra_plugins=named)
        ledger = Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32)
        opened.append(ledger)
        return County(ledger)

    yield make
    for ledger in opened:
        ledger.close()


@pytest.fixture
def county(ledger):
    return County(ledger)


@pytest.fixture
def system():
    return SYSTEM
