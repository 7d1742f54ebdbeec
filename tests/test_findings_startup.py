"""``tongchou findings --json`` as a user runs it: a new process.

Two guards.  The command must not import what only other commands need (the
web UI's panel and bokeh, jieba, the spreadsheet and Word libraries, the name
comparison's rapidfuzz): each costs a large part of a second before anything
is read.  And its time stays within a bound of the floor process of
bench/findings_cli.py (the same SELECTs by the driver alone, rows printed as
JSON), compared as a ratio of medians within one run, alternating the two so
that load from elsewhere falls on both.  The full-size figures are in
docs/performance.md (``python -m bench --only findings_cli``).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import pytest

from bench.findings_cli import FLOOR, ROOT, _command, _timed, record
from bench.province import SWEEP_ON, generate
from tongchou.ledger import Ledger

#: What the command may take, as a multiple of its floor.  On the guard's
#: 1,000-project province both are mostly start-up (measured 8-12x on a busy
#: machine: the interpreter alone is a third of the floor); importing the UI
#: stack (panel, bokeh) costs well over this.
FINDINGS_CLI_RATIO_BOUND = 20.0

#: Top-level modules the command must not import, with why they are heavy.
NOT_FOR_FINDINGS = {
    "panel": "the web UI", "bokeh": "the web UI's charts", "tornado": "the web server",
    "jieba": "the documentation's search segmentation", "rapidfuzz": "comparing project names",
    "openpyxl": "spreadsheet import and export", "docx": "official documents",
    "playwright": "browser tests",
}
NOT_FOR_FINDINGS_TONGCHOU = ("tongchou.ui", "tongchou.official", "tongchou.import_headers", "tongchou.imports",
                             "tongchou.scenario", "tongchou.whatif")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("findings-province")
    path, key = folder / "p.db", folder / "p.key"
    ledger = Ledger.open(str(path), key_file=key)
    try:
        generate(ledger, counties=2, per_county=500, offsets=(0, 160))
    finally:
        ledger.close()
    return str(path), str(key)


def _env(key: str) -> dict:
    return {**os.environ, "TONGCHOU_AUDIT_KEY_FILE": key, "PYTHONPATH": str(ROOT)}


def test_findings_imports_nothing_only_other_commands_need(province):
    url, key = province
    script = ("import io, json, sys, contextlib\n"
              "from tongchou import cli\n"
              "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
              f"    code = cli.main({_command(url, SWEEP_ON)[3:]!r})\n"
              "assert code == 0 and json.loads(out.getvalue())['findings']\n"
              "print(json.dumps(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=_env(key), cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "tongchou.sweep" in loaded and "tongchou.plugins.xichuan" in loaded  # it did sweep, with the pack
    heavy = sorted(f"{m} ({why})" for m, why in NOT_FOR_FINDINGS.items() if m in loaded)
    heavy += sorted(m for m in loaded if m.startswith(NOT_FOR_FINDINGS_TONGCHOU))
    assert not heavy, f"tongchou findings imports {', '.join(heavy)}"


def test_findings_json_stays_within_its_bound_of_the_floor(province, monkeypatch):
    url, key = province
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", key)  # record() sets it; restored afterwards
    statements, out_chars = record(url, key, SWEEP_ON)
    assert out_chars > 10_000 and any("FROM \"obligation\"" in sql for sql, _ in statements)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"url": url, "statements": statements}, f, ensure_ascii=False)
    try:
        cli_argv, floor_argv, env = _command(url, SWEEP_ON), [sys.executable, str(FLOOR), f.name], _env(key)
        _timed(cli_argv, env), _timed(floor_argv, env)  # warm-up: the files in the page cache for both
        cli_t, floor_t = [], []
        for _ in range(5):
            cli_t.append(_timed(cli_argv, env)[0])
            floor_t.append(_timed(floor_argv, env)[0])
    finally:
        os.unlink(f.name)
    ratio = statistics.median(cli_t) / statistics.median(floor_t)
    print(f"tongchou findings --json / floor process: {ratio:.2f}x")
    assert ratio <= FINDINGS_CLI_RATIO_BOUND, (
        f"tongchou findings --json takes {ratio:.1f}x the floor process (bound {FINDINGS_CLI_RATIO_BOUND}x): "
        "has its start-up grown (python -X importtime -m tongchou findings --help)?")


def test_a_field_asked_alone_is_the_field_of_the_whole_record(tmp_path):
    """The sweep hands plugins projects whose fields are decoded one by one
    as they are asked (storage._LazyFields with ``one``): each must be what
    decoding the whole record gives, and an unknown name a KeyError as there."""
    import datetime as dt

    from tongchou.cli import seed_demo
    from tongchou.storage import _LazyFields
    with Ledger.open(str(tmp_path / "demo.db"), key_file=tmp_path / "demo.key") as ledger:
        seed_demo(ledger, dt.date(2026, 6, 1))
        rows = ledger.db.execute_sql('SELECT p."name", u."name", p."year", p."estimate", p."data" FROM "project" AS p '
                                     'JOIN "unit" AS u ON p."unit_id" = u."id"').fetchall()
        assert len(rows) > 20
        names = ["name", "unit", "year", "estimate", *ledger.registry.fields, "no_such_field"]
        for row in rows:
            whole = _LazyFields(ledger._fields, *row)
            for name in names:
                alone = _LazyFields(ledger._fields, *row, ledger._field)
                if name == "no_such_field":
                    with pytest.raises(KeyError):
                        alone[name]
                    assert alone.get(name) is None
                else:
                    assert alone[name] == whole[name] and type(alone[name]) is type(whole[name]), name
            asked = _LazyFields(ledger._fields, *row, ledger._field)
            assert asked["source"] is asked["source"] and dict(asked) == dict(whole)


def test_findings_written_as_columns_are_the_findings_to_json(tmp_path):
    """``findings --json`` writes the sweep through LedgerFinding.json_records
    and LedgerObligation.json_records (columns, no dict per record): the same
    records as ``to_json``, and the same text as writing those."""
    import datetime as dt

    from tongchou.cli import seed_demo
    from tongchou.ledger import LedgerFinding, LedgerObligation
    from tongchou.values import dumps_pretty
    with Ledger.open(str(tmp_path / "demo.db"), key_file=tmp_path / "demo.key") as ledger:
        seed_demo(ledger, dt.date(2026, 6, 1))
        for on in (dt.date(2026, 6, 1), dt.date(2027, 3, 1)):
            swept = ledger.sweep(on, include_advice=True)
            assert swept.findings and swept.obligations
            assert any(f.due for f in swept.findings) and any(f.due is None for f in swept.findings)
            findings = LedgerFinding.json_records(swept.findings)
            assert findings.to_list() == [f.to_json() for f in swept.findings]
            for when in (on, None):
                obligations = LedgerObligation.json_records(swept.obligations, when)
                assert obligations.to_list() == [o.to_json(when) for o in swept.obligations]
            data = {"findings": findings, "obligations": LedgerObligation.json_records(swept.obligations, on)}
            assert dumps_pretty(data) == json.dumps(
                {"findings": [f.to_json() for f in swept.findings],
                 "obligations": [o.to_json(on) for o in swept.obligations]}, ensure_ascii=False, indent=2,
                sort_keys=True)
    assert dumps_pretty({"none": LedgerFinding.json_records([])}) == '{\n  "none": []\n}'
