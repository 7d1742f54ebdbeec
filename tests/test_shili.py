"""The second jurisdiction, examples/shili, installed as its own distribution
next to Tongchou (never into the project's .venv): its scenarios pass through
the CLI, its own tests pass, it is found by its entry point, xichuan stays
the default, and a ledger made for it stays bound to it.

The pack is installed with ``pip install --no-deps --target`` into a
throw-away folder put on PYTHONPATH: the same wheel a county would install,
seen by importlib.metadata through the folder's dist-info, without touching
the environment the rest of the suite runs in.
"""
from __future__ import annotations


import pytest

from .example_packs import install_example, pack_env, run_python



_env, _run = pack_env, run_python


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site folder, copy of the pack's source)."""
    return install_example("shili", tmp_path_factory.mktemp("shili"))


def test_shili_scenarios_pass_through_the_cli(installed):
    site, src = installed
    done = _run(["-m", "tongchou", "scenario", "run", str(src / "scenarios")], _env(site), src)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    passed = int(last.split()[0])
    assert last == f"{passed} passed, 0 failed" and passed >= 20


def test_shili_own_tests_pass(installed):
    site, src = installed
    done = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], _env(site), src)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_xichuan_stays_the_default_and_a_ledger_stays_bound(installed, tmp_path):
    site, _src = installed
    env = _env(site)
    xi, sh = tmp_path / "xi.db", tmp_path / "sh.db"

    def cli(*args):
        return _run(["-m", "tongchou", *args], env, tmp_path)

    plain = cli("--db", str(xi), "init")
    assert plain.returncode == 0 and "jurisdiction xichuan" in plain.stdout, plain.stderr
    made = cli("--db", str(sh), "--jurisdiction", "shili", "init")
    assert made.returncode == 0 and "jurisdiction shili" in made.stdout, made.stderr
    listed = cli("--db", str(sh), "plugins", "list")  # no name given: the ledger's own
    assert listed.returncode == 0, listed.stderr
    assert "jurisdiction: shili (示例市, 示政办〔2026〕3号)" in listed.stdout
    assert "shili.approval" in listed.stdout and "xichuan.ai" not in listed.stdout
    wrong = cli("--db", str(sh), "--jurisdiction", "xichuan", "plugins", "list")
    assert wrong.returncode != 0 and "belongs to jurisdiction 'shili'" in wrong.stderr
    # the environment's default does not move a ledger either
    moved = _run(["-m", "tongchou", "--db", str(xi), "plugins", "list"],
                 {**env, "TONGCHOU_JURISDICTION": "shili"}, tmp_path)
    assert moved.returncode == 0 and "jurisdiction: xichuan" in moved.stdout, moved.stderr
