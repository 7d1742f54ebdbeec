"""Every value checked before it is stored: parameters by declared type and
range, ids by range, names without bidi controls; and hostile input to every
CLI command and to the admin forms' ledger calls gives a one-line error,
never a traceback (hypothesis, in process, bounded examples)."""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tongchou.cli import build_parser, main
from tongchou.errors import InvalidInput, NotFound, TongchouError
from tongchou.ledger import SYSTEM
from tongchou.parameters import coerce
from tongchou.values import MAX_ID, record_id

from .test_cli import demo_ledger  # noqa: F401 - the module-scoped demo county

HOSTILE = ["99999999999999999999", str(MAX_ID + 1), "-1", "0", "1e999999999", "NaN", "-Infinity",
           "\u202egpj.exe", "x" * 3000, "", " ", "2026-02-30", "{3: [1]}", "{3: 12.5}", "1", "0.5",
           "estimate=1e999999999", "year=99999999999999999999", "name=\u202e项目", "unit=县教育局",
           "admin", "jiaoyu", "change_threshold", "apply"]
token = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


def _leaves(parser, path=()):
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _leaves(sub, path + (name,))


# Commands that start servers, send mail, write or read files chosen by the
# caller, or replace the ledger are left out: their arguments are paths.
SKIP = {("serve",), ("init",), ("migrate",), ("backup",), ("restore",), ("import",), ("scenario", "run"),
        ("plugins", "new"), ("plugin", "new"), ("doc", "add"), ("doc", "get"), ("official",), ("remind",),
        ("export",), ("audit", "rotate-key"), ("user", "add"), ("user", "passwd")}
# Fuzzed ones may still write a file (audit anchor --out): the db fixture
# runs them in a temporary directory.
COMMANDS = [(path, parser) for path, parser in _leaves(build_parser()) if path not in SKIP]


def test_the_fuzzed_commands_cover_the_cli():
    assert len(COMMANDS) >= 25


@pytest.fixture
def db(demo_ledger, tmp_path, monkeypatch):  # noqa: F811
    shutil.copy(demo_ledger / "ledger.db", tmp_path / "ledger.db")
    shutil.copy(demo_ledger / "audit.key", tmp_path / "audit.key")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    # Fuzzed "--out NAME" options write relative to the working directory.
    monkeypatch.chdir(tmp_path)
    return str(tmp_path / "ledger.db")


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_arguments_to_every_command_get_an_answer_not_a_traceback(db, capsys, data):
    path, parser = data.draw(st.sampled_from(COMMANDS), label="command")
    argv = ["--db", db, *path]
    for action in parser._actions:
        if action.dest == "help" or action.option_strings and action.dest in ("json",):
            continue
        if not action.option_strings:
            n = data.draw(st.integers(0, 2)) if action.nargs in ("*", "+", "?") else 1
            argv += [data.draw(token) for _ in range(n)]
        elif data.draw(st.booleans()):
            argv.append(action.option_strings[-1])
            if action.nargs != 0:
                argv.append(data.draw(token))
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage and one error line
        code = exc.code
    out, err = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err
    if code:
        assert err.strip().splitlines()[-1].strip(), argv


@pytest.mark.parametrize("argv,needle", [
    (["params", "set", "change_threshold", "1e999999999", "--from", "2027-01-01", "--user", "admin"], "超出"),
    (["params", "set", "change_threshold", "1.5", "--from", "2027-01-01", "--user", "admin"], "(0, 1]"),
    (["params", "set", "change_threshold", "-0.1", "--from", "2027-01-01", "--user", "admin"], "(0, 1]"),
    (["params", "set", "crypto_assessment_months", "{3: [12]}", "--from", "2027-01-01", "--user", "admin"],
     "crypto_assessment_months"),
    (["params", "set", "crypto_assessment_months", "{3: 12.5}", "--from", "2027-01-01", "--user", "admin"],
     "整数"),
    (["params", "set", "crypto_assessment_months", "{3: -1}", "--from", "2027-01-01", "--user", "admin"],
     "[0, 120]"),
    (["params", "set", "acceptance_months", "121", "--from", "2027-01-01", "--user", "admin"], "[0, 120]"),
])
def test_out_of_range_parameters_fail_fast_with_one_chinese_line(db, capsys, argv, needle):
    assert main(["--db", db, *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert main(["--db", db, "recompute"]) == 0  # nothing poisoned


@pytest.mark.parametrize("argv", [
    ["act", "99999999999999999999", "apply", "--user", "jiaoyu"],
    ["project", "show", "99999999999999999999"],
    ["doc", "remove", str(MAX_ID + 1), "--user", "admin"],
])
def test_ids_past_bigint_are_refused_in_one_line(db, capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(["--db", db, *argv])
    assert exc.value.code == 2
    assert "编号应为 1 到" in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_ledger_answers_no_project_for_any_id_out_of_range(ledger):
    for raw in (10 ** 20, MAX_ID + 1, -1, 0, "99999999999999999999", "1e3", None):
        with pytest.raises(NotFound):
            ledger.project(raw)
    assert record_id(str(MAX_ID)) == MAX_ID and record_id(MAX_ID + 1) is None


@settings(max_examples=200, deadline=None)
@given(raw=st.one_of(st.decimals(allow_nan=True, allow_infinity=True), st.floats(), st.integers(),
                     st.text(max_size=20)))
@example(raw="1e999999999").via("discovered: 47 s and 3.9 GB before")
@example(raw="0").via("the open lower bound")
@example(raw="1").via("the closed upper bound")
@example(raw=Decimal("1.0000000001"))
def test_change_threshold_is_a_ratio_in_0_1_or_refused(xichuan, raw):
    spec = xichuan.registry.parameters["change_threshold"]
    try:
        value = coerce(spec, raw)
    except InvalidInput as exc:
        assert "change_threshold" in str(exc) and "\n" not in str(exc)
        return
    assert Decimal(0) < value <= Decimal(1)


def test_pack_bounds_are_declared_and_checked_for_every_source(xichuan):
    params = xichuan.registry.parameters
    assert params["change_threshold"].exclusive_minimum and params["change_threshold"].maximum == 1
    for name in ("acceptance_months", "rectification_months", "crypto_assessment_months",
                 "mlps_assessment_months"):
        # 0 is a policy (due the same day; no periodic assessment), a negative or huge count is not
        assert (params[name].minimum, params[name].maximum) == (0, 120), name
    with pytest.raises(InvalidInput):   # a scenario pin or what-if override is checked too
        xichuan.parameters([], {"change_threshold": "2"})


def test_a_malformed_mapping_is_refused_and_nothing_is_stored(ledger):
    before = ledger.params.history("crypto_assessment_months")
    for raw in ("{3: [12]}", "{3: 12.5}", "{true: 3}", "[1, 2]", "{3: 99999999999999999999}"):
        with pytest.raises(InvalidInput):
            ledger.set_parameter("crypto_assessment_months", dt.date(2027, 1, 1), raw, SYSTEM)
    assert ledger.params.history("crypto_assessment_months") == before


@pytest.mark.parametrize("name", ["项目\u202egpj.exe", "\u2067单位", "a\u200fb"])
def test_bidi_controls_are_refused_in_names(county, name):
    led = county.ledger
    with pytest.raises(InvalidInput):
        led.add_unit(name)
    with pytest.raises(InvalidInput):
        led.add_user("u" + name.replace(" ", ""), "bureau", display_name=name)
    with pytest.raises(InvalidInput) as exc:
        county.project(name=name)
    assert "控制字符" in str(exc.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user=token, display=token, role=st.sampled_from(["unit", "bureau", "admin", "nope", ""]),
       unit=st.sampled_from([None, "县教育局", "\u202e", "99999999999999999999"]),
       password=st.sampled_from(["", "short", "long enough password", "x" * 3000]),
       pname=st.sampled_from(["change_threshold", "acceptance_months", "crypto_assessment_months",
                              "application_deadline", "trial_end", "approval_body", "nope"]),
       value=token)
@example(user="u", display="d", role="unit", unit=None, password="", pname="crypto_assessment_months",
         value="\x1f").via("found on PostgreSQL: YAML's ReaderError escaped as a traceback")
def test_admin_form_calls_accept_or_refuse_in_one_line(ledger, user, display, role, unit, password, pname, value):
    """What the admin page's forms call, with what a hostile admin could type."""
    ledger.add_unit("县教育局")
    for call in (lambda: ledger.add_user(user, role, unit, display_name=display, password=password),
                 lambda: ledger.add_unit(display),
                 lambda: ledger.set_disabled(user, True),
                 lambda: ledger.set_parameter(pname, dt.date(2027, 1, 1), value, SYSTEM)):
        try:
            call()
        except TongchouError as exc:
            assert str(exc).strip() and "\n" not in str(exc).strip()
    ledger.params.value("change_threshold", dt.date(2027, 6, 1))  # still readable
