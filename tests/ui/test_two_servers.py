"""Two ``tongchou serve`` processes on one PostgreSQL ledger (how a province
runs several app processes behind a reverse proxy, docs/deployment.md): a
change made through one is seen through the other on the next page load, and
the audit chain stays one chain.

Skipped, saying why, when no PostgreSQL answers (``TONGCHOU_TEST_POSTGRES``)
or the browser is missing.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import uuid

import pytest

from tongchou.db import postgres_schema

from ..conftest import PG_URL, postgres_unavailable
from .conftest import _tongchou, serve_ledger

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "demo1234"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("two")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    # One ledger, one audit key: every app process signs the same chain.
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(folder / "audit.key")
    env["TONGCHOU_FILES"] = str(folder / "files")  # uploads of both servers, never in the working tree
    with postgres_schema(PG_URL, f"tc_two_{uuid.uuid4().hex[:10]}") as url, contextlib.ExitStack() as stack:
        subprocess.run(_tongchou() + ["--db", url, "init", "--demo"], check=True, env=env,
                       capture_output=True, timeout=180)
        listing = subprocess.run(_tongchou() + ["--db", url, "project", "list", "--json"], check=True,
                                 env=env, capture_output=True, timeout=60, text=True)
        ids = {p["fields"]["name"]: p["id"] for p in json.loads(listing.stdout)["projects"]}
        bases = []
        for name in ("a", "b"):
            sub = folder / name
            sub.mkdir()
            bases.append(stack.enter_context(serve_ledger(sub, url, env)))
        yield {"bases": bases, "ids": ids, "url": url, "env": env}


def _login(page, base: str, user: str, path: str) -> None:
    page.goto(base + path)
    page.locator(".tc-login-user input").fill(user)
    page.locator(".tc-login-password input").fill(PASSWORD)
    page.locator(".tc-login-button button").click()
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=20000)


def test_two_servers_on_one_postgresql_see_each_others_writes(browser, two_servers):
    a_base, b_base = two_servers["bases"]
    assert a_base != b_base
    pid = two_servers["ids"]["教育资源公共服务平台"]  # under construction, 县教育局
    path = f"?project={pid}"
    a = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
    b = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN").new_page()
    try:
        _login(a, a_base, "jiaoyu", path)
        _login(b, b_base, "jiaoyu", path)
        expect(a.locator(".tc-status")).to_have_text("建设中")
        expect(b.locator(".tc-status")).to_have_text("建设中")

        # Completed through server A ...
        a.locator(".tc-act-complete button").click()
        expect(a.locator(".tc-form-complete")).to_be_visible()
        a.locator(".tc-submit button").click()
        expect(a.locator(".tc-status")).to_have_text("已建成待验收", timeout=15000)
        # ... is what server B shows on the next load, with the new deadline.
        b.reload()
        expect(b.locator(".tc-status")).to_have_text("已建成待验收", timeout=20000)
        expect(b.locator(".tc-obligations-section")).to_contain_text("第十八条")

        # And the other way round: accepted through B, seen through A.
        b.locator(".tc-act-accept button").click()
        expect(b.locator(".tc-form-accept")).to_be_visible()
        b.locator(".tc-f-result select").select_option(label="通过")
        from .test_worklists import upload_in_place  # documents are named once uploaded
        for kind in ("项目建设总结", "财务报告", "审计报告", "安全风险评估报告"):
            upload_in_place(b, kind)
        docs = b.locator(".tc-f-documents input[type=checkbox]")
        expect(docs).to_have_count(4)
        for i in range(4):
            docs.nth(i).check()
        b.locator(".tc-f-ai_effect_evaluated input").check()
        b.locator(".tc-submit button").click()
        expect(b.locator(".tc-status")).to_have_text("已验收", timeout=15000)
        a.reload()
        expect(a.locator(".tc-status")).to_have_text("已验收", timeout=20000)
        expect(a.locator(".tc-timeline-section")).to_contain_text("组织验收")
    finally:
        a.context.close()
        b.context.close()
    # Both processes appended to one unbroken chain.
    done = subprocess.run(_tongchou() + ["--db", two_servers["url"], "audit", "verify"], env=two_servers["env"],
                          capture_output=True, timeout=120, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
