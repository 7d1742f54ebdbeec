"""Lock-out across two UI servers on one ledger (the province deployment:
several ``tongchou serve`` processes behind a proxy), on an SQLite file and,
when one answers, on PostgreSQL.  Wrong passwords are typed into the real
login form of both servers in turn, then on both at once: cluster-wide at
most ``auth.MAX_FAILURES`` passwords are checked per lock window, and once
locked both servers refuse even the right password with the lock message.

Before the lock moved into the database, two servers let 26 passwords be
checked in 15 s (each counted its own failures, and an in-flight failure
reset the lock).
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid

import pytest

from tongchou import auth
from tongchou.db import postgres_schema
from tongchou.ui.sessions import COOKIE

from ..conftest import PG_URL, postgres_unavailable
from .conftest import _tongchou, serve_ledger

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "demo1234"
USER = "lock_two"
LOCK_MESSAGE = "用户名或密码错误，或账号已锁定"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_servers(request, tmp_path):
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = str(tmp_path / "ledger.db")
        else:
            reason = postgres_unavailable()
            if reason:
                pytest.skip(reason)
            url = stack.enter_context(postgres_schema(PG_URL, f"tc_lock2_{uuid.uuid4().hex[:10]}"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
        env["TONGCHOU_AUDIT_KEY_FILE"] = str(tmp_path / "audit.key")  # one key: one chain, shared sessions
        env["TONGCHOU_FILES"] = str(tmp_path / "files")
        run = [*_tongchou(), "--db", url]
        subprocess.run(run + ["init", "--demo"], check=True, env=env, capture_output=True, timeout=180)
        subprocess.run(run + ["user", "add", USER, "--role", "bureau", "--password-stdin"], check=True, env=env,
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=60)
        bases = []
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            bases.append(stack.enter_context(serve_ledger(tmp_path / name, url, env)))
        yield {"bases": bases, "url": url, "key": tmp_path / "audit.key"}


def _form(browser, base):
    page = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
    page.goto(base)
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=20000)
    return page


def _type(page, password: str) -> None:
    page.locator(".tc-login-user input").fill(USER)
    page.locator(".tc-login-password input").fill(password)
    page.locator(".tc-login-button button").click()


def _answered(page) -> None:
    """The form empties the password box once the server has answered."""
    expect(page.locator(".tc-login-password input")).to_have_value("", timeout=20000)
    expect(page.locator(".tc-login-message .tc-alert")).to_contain_text(LOCK_MESSAGE)


def _attempts(url: str, key) -> list[dict]:
    from tongchou.ledger import Ledger
    from tongchou.models import AuditEntry

    with Ledger.open(url, key_file=key) as led:
        found = [(e.kind, json.loads(e.detail or "{}")) for e in AuditEntry.select().where(
            (AuditEntry.actor == USER) & AuditEntry.kind.in_(["login", "login_failed"])).order_by(AuditEntry.id)]
        assert led.audit.verify().ok  # both servers appended to one unbroken chain
    return [dict(detail, kind=kind) for kind, detail in found]


def test_wrong_passwords_on_two_servers_are_checked_at_most_the_limit(browser, two_servers):
    pages = [_form(browser, base) for base in two_servers["bases"]]
    try:
        # In turn: A, B, A, B, ... each answered before the next.
        turns = auth.MAX_FAILURES + 3
        for i in range(turns):
            page = pages[i % 2]
            _type(page, f"wrong-{i}")
            _answered(page)
        # Then both at once, twice.
        for round_ in range(2):
            for page in pages:
                _type(page, f"both-{round_}")
            for page in pages:
                _answered(page)
        # Locked everywhere: the right password is refused on both servers, with the lock message.
        for page in pages:
            _type(page, PASSWORD)
            _answered(page)
            page.wait_for_timeout(500)
            expect(page.locator(".tc-logout")).to_have_count(0)
            assert not [c for c in page.context.cookies() if c["name"] == COOKIE]
    finally:
        for page in pages:
            page.context.close()

    attempts = _attempts(two_servers["url"], two_servers["key"])
    wrong = turns + 2 * len(pages)
    assert [a["kind"] for a in attempts] == ["login_failed"] * (wrong + len(pages))  # every attempt logged, none let in
    checked = [a for a in attempts if a.get("reason") == "password"]
    assert len(checked) == auth.MAX_FAILURES, attempts  # cluster-wide, not per server
    assert checked[-1].get("locked") is True  # the last check set the lock
    assert all(a.get("reason") == "locked" for a in attempts[auth.MAX_FAILURES:]), attempts
