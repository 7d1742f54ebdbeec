"""The cold dashboard of a province-wide role, in a browser: the province
against the demo ledger, in the same run.

    python -m bench ui                  # 150 counties x 1,000 projects
    python -m bench ui --counties 60    # the 60,000-project province
    python -m bench ui --province PATH  # a province made before (python -m bench --data D --keep)

Each sample starts ``tongchou serve`` afresh (nothing cached), logs in as the
``bureau`` user in headless Chromium (Debian's /usr/bin/chromium, through
Playwright) and times from the click on 登录 to the home page drawn: the
key figures, the problems table and the upcoming obligations visible; and,
reported beside (not part of the target: the page does not wait for it),
until its 我的待办 is filled in.  The
median of the samples on the province is divided by the median on the demo
ledger (xichuan's demo county, ``tongchou init --demo``); the samples
alternate between the two so that the machine's load falls on both alike.

This is the one place UI timings come from (another harness, for switching
pages on the demo ledger, may sit beside it in bench/).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "demo1234"


def _tongchou() -> list[str]:
    exe = shutil.which("tongchou")
    return [exe] if exe else [sys.executable, "-m", "tongchou"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(db: Path, env: dict[str, str], log: Path):
    port = _free_port()
    with open(log, "a") as out:
        proc = subprocess.Popen(_tongchou() + ["--db", str(db), "serve", "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        try:
            while True:
                try:
                    with urllib.request.urlopen(base, timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"tongchou serve did not start (see {log})")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def cold_dashboard(browser, base: str, user: str) -> tuple[float, float | None]:
    """Seconds from the click on 登录 to the home page drawn, and to its
    我的待办 filled in (read off the event loop after the page is drawn; None
    for a role with no worklist)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    try:
        page.goto(base)
        page.locator(".tc-login-user input").fill(user)
        page.locator(".tc-login-password input").fill(PASSWORD)
        t = time.perf_counter()
        page.locator(".tc-login-button button").click()
        page.locator(".tc-kpis").wait_for(state="visible", timeout=300_000)
        page.locator(".tc-page-home .tc-h").last.wait_for(state="visible", timeout=300_000)
        page.locator(".tc-problems, .tc-page-home .tc-muted").first.wait_for(state="visible", timeout=300_000)
        drawn = time.perf_counter() - t
        if not page.locator(".tc-worklist-area").count():
            return drawn, None
        page.locator(".tc-page-home .tc-worklist").first.wait_for(state="visible", timeout=600_000)
        return drawn, time.perf_counter() - t
    finally:
        page.close()


def _province(folder: Path, counties: int, env: dict[str, str]) -> tuple[Path, str]:
    """A province ledger (made now unless given) and its first county's bureau login."""
    db = folder / f"province-{counties}.db"
    code = ("import sys; from pathlib import Path; from tongchou.ledger import Ledger; "
            "from bench.province import generate, county_name; "
            f"l = Ledger.open({str(db)!r}, key_file=Path({str(db) + '.key'!r})); "
            f"generate(l, counties={counties}, per_county=1000) if not l.status_counts() else None; "
            f"l.set_password(county_name(1) + '.bureau', {PASSWORD!r}); l.close()")
    subprocess.run([sys.executable, "-c", code], check=True, env={**env, "PYTHONPATH": str(ROOT)},
                   cwd=ROOT, timeout=3600)
    return db, "样例001.bureau"


ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None, known_only: bool = False) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench ui", description=__doc__.split("\n\n")[0])
    ap.add_argument("--counties", type=int, default=150)
    ap.add_argument("--small", action="store_true", help="10 counties")
    ap.add_argument("--province", help="an existing province ledger (SQLite file; its .key beside it)")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--json", help="also write the row to this file")
    # run one after the other (`python -m bench ui`), each takes its own options and leaves the other's
    args = ap.parse_known_args(argv)[0] if known_only else ap.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"skipped: no Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
        return 0
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"skipped: Playwright is not installed ({exc})")
        return 0
    counties = 10 if args.small else args.counties
    folder = Path(tempfile.mkdtemp(prefix="tongchou-bench-ui-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    demo = folder / "demo.db"
    subprocess.run(_tongchou() + ["--db", str(demo), "init", "--demo"], check=True, timeout=600,
                   env={**env, "TONGCHOU_AUDIT_KEY_FILE": str(folder / "demo.key")}, capture_output=True)
    if args.province:
        province, user = Path(args.province), "样例001.bureau"
        code = (f"from pathlib import Path; from tongchou.ledger import Ledger; "
                f"l = Ledger.open({args.province!r}, key_file=Path({args.province + '.key'!r})); "
                f"l.set_password({user!r}, {PASSWORD!r}); l.close()")
        subprocess.run([sys.executable, "-c", code], check=True, env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    else:
        t = time.perf_counter()
        province, user = _province(folder, counties, env)
        print(f"province of {counties} x 1,000 projects made in {time.perf_counter() - t:.0f} s", flush=True)
    targets = {"demo": (demo, "bureau", {**env, "TONGCHOU_AUDIT_KEY_FILE": str(folder / "demo.key")}),
               "province": (province, user, {**env, "TONGCHOU_AUDIT_KEY_FILE": str(province) + ".key"})}
    times: dict[str, list[float]] = {"demo": [], "province": []}
    worklists: dict[str, list[float]] = {"demo": [], "province": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        for _ in range(args.samples):
            for name, (db, login, e) in targets.items():
                with serve(db, e, folder / "serve.log") as base:
                    drawn, worklist = cold_dashboard(browser, base, login)
                times[name].append(drawn)
                if worklist is not None:
                    worklists[name].append(worklist)
            print(f"  demo {times['demo'][-1]:.2f} s, province {times['province'][-1]:.2f} s"
                  + (f"; 我的待办 filled in at {worklists['demo'][-1]:.2f} s and {worklists['province'][-1]:.2f} s"
                     if worklists["province"] and worklists["demo"] else ""), flush=True)
        browser.close()
    demo_s, prov_s = statistics.median(times["demo"]), statistics.median(times["province"])
    row = {"benchmark": "ui_dashboard", "value": prov_s, "unit": "s", "baseline": demo_s,
           "ratio": prov_s / demo_s, "samples": times, "projects": counties * 1000,
           "load": os.getloadavg()[0], "cores": os.cpu_count()}
    if worklists["demo"] and worklists["province"]:
        # Not part of the target: the page is drawn without waiting for it.
        row["worklist_s"] = {k: round(statistics.median(v), 2) for k, v in worklists.items()}
        row["worklist_samples"] = worklists
    print(f"cold dashboard (bureau, province-wide): {counties * 1000:,} projects {prov_s:.2f} s (median of "
          f"{args.samples}), demo ledger {demo_s:.2f} s: x{row['ratio']:.2f} (target ≤ 1.5); "
          f"load average {row['load']:.1f} on {row['cores']} cores")
    if "worklist_s" in row:
        print(f"我的待办 filled in (median): province {row['worklist_s']['province']:.2f} s, "
              f"demo {row['worklist_s']['demo']:.2f} s after the click on 登录")
    if args.json:
        Path(args.json).write_text(json.dumps(row, ensure_ascii=False, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
