"""Page-switch time of the web UI on the demo county, in a real browser.

``python -m bench ui [--rounds 10] [--user bureau] [--json out.json]``

Starts ``tongchou serve`` on a fresh demo ledger in a temporary folder, logs
in with headless Chromium (/usr/bin/chromium through Playwright, never a
downloaded browser) and clicks through the menu — 首页, 我的待办, 项目台账,
报表, then a project from the ledger — ``rounds`` times.  A switch is timed
from the click until the new page's content is on screen (its ``tc-page-*``
container visible, and for the ledger its first row), and the median and p95
per page are printed as a Markdown table (docs/performance.md).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo1234"
#: (menu button, what shows the page is there)
PAGES = (("worklist", ".tc-page-worklist"), ("ledger", ".tc-ledger-table .tabulator-row"),
         ("reports", ".tc-page-reports"), ("home", ".tc-page-home .tc-kpis"))


def _tongchou() -> list[str]:
    exe = shutil.which("tongchou")
    return [exe] if exe else [sys.executable, "-m", "tongchou"]


def _serve(folder: Path):
    import socket
    import urllib.request
    db = folder / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(folder / "audit.key")
    subprocess.run(_tongchou() + ["--db", str(db), "init", "--demo"], check=True, env=env, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(folder / "serve.log", "w")
    proc = subprocess.Popen(_tongchou() + ["--db", str(db), "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base, timeout=2):
                return proc, base, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("tongchou serve did not start")


def measure(base: str, user: str, rounds: int) -> dict[str, list[float]]:
    from playwright.sync_api import expect, sync_playwright
    times: dict[str, list[float]] = {page: [] for page, _ in PAGES}
    times["project"] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page.goto(base)
        page.locator(".tc-login-user input").fill(user)
        page.locator(".tc-login-password input").fill(PASSWORD)
        page.locator(".tc-login-button button").click()
        expect(page.locator(".tc-page-home")).to_be_visible(timeout=30000)
        for round_no in range(rounds + 1):
            counted = round_no > 0  # the first round warms caches and is not counted
            for name, ready in PAGES:
                start = time.perf_counter()
                page.locator(f".tc-nav-{name} button").click()
                expect(page.locator(ready).first).to_be_visible(timeout=30000)
                if counted:
                    times[name].append(time.perf_counter() - start)
                if name == "ledger":
                    start = time.perf_counter()
                    page.locator(".tc-ledger-table .tabulator-row").first.click()
                    expect(page.locator(".tc-timeline-section")).to_be_visible(timeout=30000)
                    if counted:
                        times["project"].append(time.perf_counter() - start)
        browser.close()
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None, known_only: bool = False) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench ui", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--user", default="bureau", help="demo login (default: bureau)")
    ap.add_argument("--json", help="also write the times to this file")
    # run one after the other (`python -m bench ui`), each takes its own options and leaves the other's
    args = ap.parse_known_args(argv)[0] if known_only else ap.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="tongchou-bench-ui-"))
    proc, base, log = _serve(folder)
    try:
        times = measure(base, args.user, args.rounds)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    print(f"demo county, user {args.user}, {args.rounds} rounds; {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| page | median (ms) | p95 (ms) |\n|---|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values) * 1000:.0f} | {p95(values) * 1000:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(times, indent=1), encoding="utf-8")
    warnings = [line for line in (folder / "serve.log").read_text().splitlines() if "Warning" in line
                or "WARNING" in line]
    print(f"server log warnings: {len(warnings)}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
