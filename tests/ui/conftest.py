"""Fixtures for the web UI tests.

Browser tests (``@pytest.mark.browser``) drive a real ``tongchou serve`` in
headless Debian Chromium (/usr/bin/chromium, never a downloaded browser).
They are skipped, saying why, when that browser or Playwright is missing.
The server runs on a demo ledger made in a temporary folder for the session.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
PASSWORD = "demo1234"


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright  # noqa: F401
        import pytest_playwright  # noqa: F401
    except ImportError as exc:
        return f"browser tests need playwright and pytest-playwright: {exc}"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _browser_missing()
    if reason is None:
        # Playwright's 5 s default for expect() is too short for a Bokeh round
        # trip on a loaded 2-core machine; a slower page is not a failure.
        from playwright.sync_api import expect
        expect.set_options(timeout=15_000)
    if reason is None:
        return
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Use the system's Chromium, never a browser Playwright would download."""
    return {"executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                     "--lang=zh-CN"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}, "locale": "zh-CN",
            "accept_downloads": True}


def tongchou(server, *args: str, stdin: str | None = None) -> str:
    """Run the ``tongchou`` CLI on the served ledger (as the county IT admin would)."""
    done = subprocess.run(_tongchou() + ["--db", str(server["db"]), *args], check=True, env=server["env"],
                          input=stdin, capture_output=True, timeout=120, text=True)
    return done.stdout


def _tongchou() -> list[str]:
    exe = shutil.which("tongchou")
    return [exe] if exe else [sys.executable, "-m", "tongchou"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ui_server(tmp_path_factory):
    """A demo ledger and ``tongchou serve`` on a free port; yields the base URL
    and the demo projects' ids by name."""
    reason = _browser_missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("ui")
    db = folder / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(folder / "audit.key")
    subprocess.run(_tongchou() + ["--db", str(db), "init", "--demo"], check=True, env=env,
                   capture_output=True, timeout=120)
    listing = subprocess.run(_tongchou() + ["--db", str(db), "project", "list", "--json"], check=True, env=env,
                             capture_output=True, timeout=60, text=True)
    ids = {p["fields"]["name"]: p["id"] for p in json.loads(listing.stdout)["projects"]}
    with serve_ledger(folder, db, env) as base:
        yield {"base": base, "ids": ids, "db": db, "log": folder / "serve.log", "env": env}


@contextlib.contextmanager
def serve_process(folder: Path, db: Path, env: dict[str, str], start_seconds: float = 60):
    """``tongchou serve`` of ``db`` on a free port until the block ends; yields
    ``(base URL, process)``; its log is ``folder/serve.log``."""
    port = _free_port()
    if "TONGCHOU_UPLOAD_DIR" not in env:  # uploaded files wait in the test's folder, not the system's
        incoming = folder / "incoming"
        incoming.mkdir(mode=0o700, exist_ok=True)
        env = {**env, "TONGCHOU_UPLOAD_DIR": str(incoming)}
    log = open(folder / "serve.log", "w")
    proc = subprocess.Popen(_tongchou() + ["--db", str(db), "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + start_seconds
    while True:
        try:
            with urllib.request.urlopen(base, timeout=5) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(f"tongchou serve did not start: {(folder / 'serve.log').read_text()[-2000:]}")
        time.sleep(0.3)
    try:
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@contextlib.contextmanager
def serve_ledger(folder: Path, db: Path, env: dict[str, str]):
    """``tongchou serve`` of ``db`` on a free port until the block ends; yields the base URL."""
    with serve_process(folder, db, env) as (base, _proc):
        yield base


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory):
    """Where tests save screenshots: a temporary folder, so running the tests
    never rewrites tracked files; TONGCHOU_SCREENSHOTS=docs/screenshots (a
    path, relative to the repository) asks for them there to refresh the docs."""
    wanted = os.environ.get("TONGCHOU_SCREENSHOTS", "").strip()
    folder = (REPO / wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
