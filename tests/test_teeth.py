"""Tests that a mutation run showed missing: boundaries a mutant (`>` to `>=`,
a flipped branch) would have survived."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tongchou import auth
from tongchou.plugins.xichuan import approval, cloud, funds, security
from tongchou.vocabulary import Actor

D = dt.date


def _budget(amount: Decimal):
    return SimpleNamespace(action="budget", args={"amount": amount})


class _Project(dict):
    def __init__(self, status="in_operation", pid=1, **fields):
        super().__init__(fields)
        self.status, self.id = status, pid

    def __getitem__(self, key):
        return self.get(key)


@settings(max_examples=60, deadline=None)
@given(estimate_fen=st.integers(1, 10 ** 10), delta_fen=st.integers(-500, 500))
@example(estimate_fen=100_000_00, delta_fen=0).via("budget equal to the estimate: no finding")
@example(estimate_fen=100_000_00, delta_fen=1).via("one fen over: the finding")
def test_budget_over_estimate_is_found_only_above_the_estimate(estimate_fen, delta_fen):
    estimate = Decimal(estimate_fen) / 100
    total = Decimal(max(estimate_fen + delta_fen, 1)) / 100
    # two budget events, as a project budgeted in two years
    half = (total / 2).quantize(Decimal("0.01"))
    history = [_budget(half), _budget(total - half)]
    found = funds._budget_over_estimate(_Project(estimate=estimate), history, None)
    if total > estimate:
        assert found and found[0].code == "xichuan.funds.budget_over_estimate" and found[0].severity == "advice"
    else:
        assert found is None
    assert funds._budget_over_estimate(_Project(estimate=None), history, None) is None
    assert funds._budget_over_estimate(_Project(estimate=estimate), [], None) is None


def test_civil_works_or_high_energy_alone_calls_for_the_special_approvals():
    # 第十条: no 节能评估、规划选址、用地预审、环评 unless new civil works or high energy use — either one
    for fields, named in ((dict(civil_works=True, high_energy=False), "新建土建工程"),
                          (dict(civil_works=False, high_energy=True), "高耗能")):
        [advice] = approval._assessments_needed(_Project("draft", **fields), [], None)
        assert advice.code == "xichuan.approval.assessments_needed" and advice.citation.articles == (10,)
        assert f"项目涉及{named}，" in advice.message
    assert approval._assessments_needed(_Project("draft", civil_works=False, high_energy=False), [], None) is None


def test_retired_projects_owe_no_assessment_and_no_cloud_migration(xichuan):
    params = xichuan.parameters([])
    assessed = [SimpleNamespace(action="record_assessment", date=D(2026, 8, 3), args={"type": kind, "result": "pass"})
                for kind in ("mlps", "crypto")]
    for kind, article_months in (("mlps", 12), ("crypto", 12)):
        rule = security._next_assessment(kind)
        live = rule(_Project("in_operation", mlps_level=3), assessed, params)
        assert live and live[0].due == D(2027, 8, 3), kind
        assert rule(_Project("retired", mlps_level=3), assessed, params) is None
    migrating = dict(infrastructure="third_party_cloud", third_party_cloud_expires=D(2027, 6, 30))
    live = cloud._migrate(_Project("in_operation", **migrating), [], params)
    assert live and live[0].due == D(2027, 6, 30)
    assert cloud._migrate(_Project("retired", **migrating), [], params) is None
    assert cloud._third_party_no_expiry(_Project("retired", infrastructure="third_party_cloud"), [], params) is None
    assert cloud._third_party_no_expiry(_Project("in_operation", infrastructure="third_party_cloud"), [], params)


def test_action_permission_for_unit_scoped_users_directly(xichuan):
    reg = xichuan.registry
    apply = reg.actions["apply"]          # an action of the requesting unit (no party)
    staff = Actor(name="s", role="unit", unit_id=7, unit="县教育局", id=1)
    assert auth.action_permission(reg, staff, apply, 7) is None
    other = auth.action_permission(reg, staff, apply, 8)
    assert other is not None and other.code == "permission" and other.message == "只能办理本单位的项目"
    # a party to the project, not its requesting unit: told who acts instead
    party = auth.action_permission(reg, staff, apply, 8, {"builder": 7})
    assert party is not None and party.message.startswith("“") and "只能由该项目的" in party.message
    # a unit-scoped user without a unit acts on nothing
    assert auth.action_permission(reg, Actor(name="x", role="unit", unit_id=None, unit="", id=2), apply, 7)
    # a role the action does not list is refused before any unit check
    bureau = Actor(name="b", role="bureau", unit_id=None, unit="", id=3)
    assert auth.action_permission(reg, bureau, apply, 7).message.startswith("角色")


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(-40, 40))
@example(offset=0).via("June 30: still on time, no finding")
@example(offset=1).via("July 1: the sweep finds the missed deadline")
def test_the_sweep_finds_a_missed_application_deadline_from_the_day_after(xichuan, offset):
    params = xichuan.parameters([])
    on = D(2026, 6, 30) + dt.timedelta(days=offset)
    draft = _Project("draft", pid=5, year=2027, source="unit_application")
    found = approval.tongchou_sweep(projects=[draft], on=on, params=params)
    assert (5 in found) == (offset > 0)
    if offset > 0:
        assert found[5][0].code == "xichuan.approval.deadline_passed" and found[5][0].citation.articles == (7,)
    assert approval.tongchou_sweep(projects=[_Project("submitted", pid=6, year=2027, source="unit_application")],
                                   on=on, params=params) == {}


def test_passwords_are_hashed_with_the_documented_scrypt_parameters():
    # docs/security.md: scrypt n = 2^15, r = 8, p = 1, a 16-byte salt, a 32-byte digest
    stored = auth.hash_password("correct horse")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", str(2 ** 15), "8", "1")
    assert (len(bytes.fromhex(salt)), len(bytes.fromhex(digest))) == (16, 32)
    assert auth.check_password("correct horse", stored)
    assert not auth.check_password("correct horsf", stored)
    # another scheme, a malformed or an empty hash never matches
    assert not auth.check_password("correct horse", "bcrypt" + stored[len("scrypt"):])
    assert not auth.check_password("correct horse", "scrypt$x$8$1$00$00")
    assert not auth.check_password("correct horse", None)


def _logs_in(ledger, name, password) -> bool:
    from tongchou.errors import PermissionDenied
    try:
        ledger.authenticate(name, password)
    except PermissionDenied:
        return False
    return True


def test_a_password_of_eight_characters_is_taken_and_seven_are_refused(ledger):
    from tongchou.errors import InvalidInput
    ledger.add_user("eight", "bureau", password="12345678")
    assert _logs_in(ledger, "eight", "12345678")
    with pytest.raises(InvalidInput, match="至少 8 位"):
        ledger.add_user("seven", "bureau", password="1234567")
    with pytest.raises(InvalidInput, match="至少 8 位"):
        ledger.set_password("eight", "1234567")


def test_a_lock_lasts_fifteen_minutes_from_the_fifth_failure(ledger, monkeypatch):
    import tongchou.accounts as accounts
    ledger.add_user("guessed", "bureau", password="right-password")
    clock = [dt.datetime(2026, 12, 1, 9, 0, 0)]
    monkeypatch.setattr(accounts, "now", lambda: clock[0])
    for _ in range(4):
        assert not _logs_in(ledger, "guessed", "wrong-password")
    assert _logs_in(ledger, "guessed", "right-password")       # four failures do not lock
    for _ in range(5):
        assert not _logs_in(ledger, "guessed", "wrong-password")
    clock[0] += dt.timedelta(minutes=14, seconds=59)
    assert not _logs_in(ledger, "guessed", "right-password")   # still locked
    clock[0] += dt.timedelta(seconds=2)
    assert _logs_in(ledger, "guessed", "right-password")       # 15 minutes on


def test_bigrams_are_neighbouring_pairs_within_each_run_and_a_lone_character_stays_whole():
    from tongchou.plugins.xichuan.similarity import bigrams
    assert bigrams("智慧城管") == {"智慧", "慧城", "城管"}
    assert bigrams("医、Ab12") == {"医", "ab", "b1", "12"}
    assert bigrams("") == set()


def test_the_score_blends_the_scopes_only_when_both_projects_have_one():
    from tongchou.plugins.xichuan.similarity import CharGramRule
    rule = CharGramRule()
    same = "县医院远程会诊平台"
    # the same name and no scope on either side, or on one side only: the name alone decides
    assert rule.score((same, ""), (same, "")).score == 1.0
    assert rule.score((same, "建设远程会诊系统并接入省平台"), (same, "  ")).score == 1.0
    assert rule.score((same, ""), (same, "建设远程会诊系统并接入省平台")).score == 1.0
    # both scopes given and wholly different: the name counts 35 %
    blended = rule.score((same, "采购监护仪和呼吸机"), (same, "改造机房供电线路")).score
    assert 0.35 <= blended < 0.6
    # the names are compared with each other, not with a scope
    other, scope = ("智慧停车收费系统", same), (same, same)
    assert rule.score(other, scope).score < 0.9 and rule.score(scope, other).score < 0.9


class _CatalogueLedger:
    """What catalogue_rows reads of a ledger: the projects asked for, their
    histories and the parameters (no body renamed)."""

    def __init__(self, projects, histories):
        self._projects, self._histories = projects, histories
        self.params = SimpleNamespace(specs={}, value=None)
        self.asked = []

    def projects(self, user, filters, order_by):
        self.asked.append(filters)
        return [p for p in self._projects if p.status in filters["status"]], len(self._projects)

    def histories(self, ids):
        return {i: self._histories.get(i, ()) for i in ids}


def _ev(action, day, to_status=None, **args):
    return SimpleNamespace(action=action, date=day, args=args, to_status=to_status)


def test_the_catalogue_counts_passed_fee_reviews_of_the_year_and_names_the_latest_assessment():
    # 第二十八条: 基础目录清单 — 运维经费 only as reviewed and passed (第二十二条), the latest 测评
    from tongchou.plugins.xichuan.catalogue import catalogue_rows
    system = _Project("in_operation", pid=1, kind="information_system", source="unit_application",
                      category="purchased_service", estimate=Decimal("600000"), mlps_level=3, funding="财政资金")
    system.name = "政务服务热线平台"
    history = [
        _ev("approve", D(2026, 3, 20), "approved", document_no="淅政〔2026〕8号"),
        _ev("accept", D(2026, 7, 1), "accepted", result="pass"),
        _ev("review_om_fee", D(2026, 9, 1), year=2027, amount=Decimal("50000"), result="pass"),
        _ev("review_om_fee", D(2026, 9, 2), year=2027, amount=Decimal("90000"), result="fail"),
        _ev("review_om_fee", D(2027, 9, 1), year=2028, amount=Decimal("40000"), result="pass"),
        _ev("record_assessment", D(2026, 8, 1), type="mlps", result="pass"),
        _ev("record_assessment", D(2027, 8, 1), type="crypto", result="fail"),
        _ev("record_sharing", D(2027, 3, 1), interconnected=True, shared=True, data_aggregated=True),
        _ev("record_evaluation", D(2027, 10, 1), result="pass"),
    ]
    ledger = _CatalogueLedger([system], {1: history})
    [row] = catalogue_rows(ledger, None, year=2027)
    assert row["om_fee"] == Decimal("50000")
    assert row["protection"] == "等保3级；最近密评未通过（2027-08-01）"
    assert row["approval"] == "县政府批准（淅政〔2026〕8号，2026-03-20）"
    assert row["performance"] == "绩效评价合格(2027-10-01)" and row["funding"] == "财政资金"
    assert (row["sharing"], row["resource_catalogue"]) == ("已对接互通、已数据归集、已信息共享", "已编制")
    assert catalogue_rows(ledger, None)[0]["om_fee"] == Decimal("90000")   # every year: 50,000 + 40,000
    # accepted after the year's end, or retired before its start: not in that year's catalogue
    assert catalogue_rows(ledger, None, year=2025) == []
    retired = _Project("retired", pid=2, kind="information_system", source="unit_application",
                       category="purchased_service", estimate=Decimal("1"))
    retired.name = "旧系统"
    ledger = _CatalogueLedger([retired], {2: [_ev("accept", D(2020, 5, 1), "accepted", result="pass"),
                                               _ev("retire", D(2026, 12, 31), "retired")]})
    [old] = catalogue_rows(ledger, None, year=2026)
    assert old["name"] == "旧系统" and (old["sharing"], old["resource_catalogue"]) == ("未登记", "未登记")
    assert catalogue_rows(ledger, None, year=2027) == []
    assert set(ledger.asked[0]["status"]) == {"accepted", "in_operation", "retired"}


def test_a_system_is_in_the_catalogue_of_the_year_it_was_accepted_in_and_not_before():
    # 第二十八条's annual list holds the systems in service that year: from the day of
    # acceptance (the year's last day included), not from the approval before it
    from tongchou.plugins.xichuan.catalogue import catalogue_rows
    system = _Project("in_operation", pid=3, kind="information_system", source="unit_application",
                      category="purchased_service", estimate=Decimal("1"))
    system.name = "不动产登记系统"
    ledger = _CatalogueLedger([system], {3: [_ev("approve", D(2025, 4, 1), "approved"),
                                             _ev("accept", D(2026, 12, 31), "accepted", result="pass"),
                                             _ev("start_operation", D(2027, 1, 4), "in_operation")]})
    assert catalogue_rows(ledger, None, year=2025) == []
    assert [r["name"] for r in catalogue_rows(ledger, None, year=2026)] == ["不动产登记系统"]
    assert [r["name"] for r in catalogue_rows(ledger, None, year=2027)] == ["不动产登记系统"]


@settings(max_examples=20, deadline=None)
@given(offset=st.integers(-40, 30))
@example(offset=-31).via("31 days ahead: not yet on the worklist as a deadline")
@example(offset=-30).via("30 days ahead (todo_lead_days): on it")
@example(offset=0).via("the due day itself: accept, no written explanation yet")
@example(offset=1).via("the day after: explain the delay (第十九条)")
def test_the_worklist_asks_for_a_delay_explanation_from_the_day_after_the_acceptance_deadline(xichuan, offset):
    from tongchou.plugins.xichuan import worklist
    due = D(2026, 12, 15)
    on = due + dt.timedelta(days=offset)
    owed = SimpleNamespace(code="xichuan.acceptance.due", due=due, message="应组织验收",
                           citation=None)
    params = SimpleNamespace(value=lambda name, day: {"todo_lead_days": 30}[name])
    todos = worklist.tongchou_todos(project=_Project("completed"), history=[], params=params, on=on,
                                    obligations=[owed])
    actions = [t.action for t in todos]
    assert "accept" in actions
    assert any(t.code == "xichuan.acceptance.due" and t.due == due for t in todos) == (offset >= -30)
    assert ("explain_delay" in actions) == (offset > 0)
    assert all(t.citation.articles == (19,) for t in todos if t.action == "explain_delay")
    # an explanation already owed on its own date asks for acceptance, not another explanation
    explained = SimpleNamespace(code="xichuan.acceptance.explained", due=due, message="按说明的时间验收",
                                citation=None)
    assert "explain_delay" not in [t.action for t in worklist.tongchou_todos(
        project=_Project("completed"), history=[], params=params, on=on, obligations=[explained])]


def test_a_two_character_phrase_in_both_projects_is_a_reason_shown_either_way_round():
    # the reasons staff read under a suspected duplicate (第三条): two characters are enough
    from tongchou.plugins.xichuan.similarity import CharGramRule
    rule = CharGramRule()
    short, long_ = ("机房、网络", ""), ("采购服务器和机房改造", "")
    assert "机房" in rule.overlap(short, long_)
    assert "机房" in rule.overlap(long_, short)
    assert rule.overlap(("机", ""), ("机房", "")) == ()       # one character is no phrase


def test_a_key_file_holds_keys_of_sixteen_bytes_or_more_each_from_its_first_entry(tmp_path):
    from tongchou.audit import Keyring
    from tongchou.errors import AuditKeyMissing
    path = tmp_path / "audit.key"
    a, b = bytes(range(16)), bytes(range(100, 132))
    path.write_text(f"{a.hex()}\n5:{b.hex()}\n")
    ring = Keyring.read(path)
    assert ring.keys == ((1, a), (5, b))
    # the rotation's first entry is signed with the new key, the one before with the old
    assert [ring.for_entry(n) for n in (1, 4, 5, 6)] == [a, a, b, b]
    path.write_text(bytes(range(15)).hex() + "\n")
    with pytest.raises(AuditKeyMissing, match="too short"):
        Keyring.read(path)


def _h(*actions, **args):
    return [SimpleNamespace(action=a, args=dict(args.get(a, {})), seq=n, date=D(2026, 1, 1) + dt.timedelta(days=n))
            for n, a in enumerate(actions, start=1)]


GOV = dict(category="government_investment", source="unit_application")
SERVICE = dict(category="purchased_service", source="unit_application")


@pytest.mark.parametrize("status, fields, history, expected", [
    ("draft", SERVICE, [], {("apply", (7, 8))}),
    ("submitted", dict(SERVICE, source="ad_hoc"), [], {("leader_consent", (8,))}),
    ("submitted", dict(SERVICE, source="ad_hoc"), _h("leader_consent"), {("review", (7,))}),
    ("submitted", SERVICE, [], {("review", (7,))}),
    ("reviewed", SERVICE, [], {("approve", (7,))}),
    ("approved", GOV, _h("review", review={"result": "pass"}),
     {("plan", (7, 8, 11)), ("approve_document", (9,)), ("budget", (11,))}),
    ("approved", SERVICE, _h("review", "budget", review={"result": "pass"}, budget={"amount": 1}),
     {("tender", (13, 14))}),
    ("approved", dict(SERVICE, source="higher_level"), [], {("budget", (11,))}),
    ("approved", SERVICE, _h("review", review={"result": "fail"}), set()),
    ("procuring", SERVICE, _h("budget", budget={"amount": 1}), {("sign_contract", (15,))}),
    ("contracted", GOV, _h("budget", budget={"amount": 1}) + [
        SimpleNamespace(action="approve_document", args={"document": d}, seq=9, date=D(2026, 2, 1))
        for d in ("proposal", "feasibility", "preliminary_design")],
     {("appoint_supervisor", (16,)), ("start_construction", (11,))}),
    ("contracted", SERVICE, _h("budget", budget={"amount": 1}), {("start_construction", (11,))}),
    ("under_construction", SERVICE, [], {("complete", (18,))}),
    ("completed", SERVICE, [], {("accept", (18,))}),
    ("acceptance_failed", SERVICE, [], {("accept", (18,))}),
    ("accepted", SERVICE, [], {("start_operation", (21,))}),
    ("in_operation", SERVICE, _h("report_idle"), {("record_sharing", (23, 27)), ("retire", (20,))}),
    ("in_operation", SERVICE, _h("record_sharing"), set()),
    # 第三十五条: an open rectification order is owed beside the other steps
    ("in_operation", SERVICE, _h("order_rectification"), {("record_sharing", (23, 27)), ("rectify", (35,))}),
    ("suspended", SERVICE, _h("suspend", "rectify"), {("resume", (35,))}),
    ("suspended", SERVICE, _h("rectify", "suspend"), set()),
])
def test_the_worklist_asks_for_the_next_step_citing_its_article(xichuan, status, fields, history, expected):
    from tongchou.plugins.xichuan import worklist
    params = SimpleNamespace(value=lambda name, day: {"todo_lead_days": 30}[name])
    todos = worklist.tongchou_todos(project=_Project(status, **fields), history=history, params=params,
                                    on=D(2026, 6, 1), obligations=[])
    assert {(t.action, t.citation.articles) for t in todos} == expected


def test_the_trial_period_notice_starts_the_day_after_the_trial_ends():
    # 第三十九条: 试行 until trial_end; the ledger says so from the next day on
    from tongchou.plugins.xichuan import final
    end = D(2027, 6, 30)
    params = SimpleNamespace(value=lambda name, day: {"trial_end": end}[name])
    assert final.tongchou_ledger_notices(params=params, on=end) is None
    [notice] = final.tongchou_ledger_notices(params=params, on=end + dt.timedelta(days=1))
    assert notice.code == "xichuan.final.trial_ended" and notice.citation.articles == (39,)
    assert "2027-06-30 届满" in notice.message


def test_the_chain_head_must_match_the_last_entry_in_id_and_in_mac(county):
    from tongchou.models import AuditEntry
    ledger = county.ledger
    county.project()
    assert ledger.verify_audit().ok
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    sql = 'UPDATE audit_head SET last_mac = ? WHERE id = 1'
    ledger.db.execute_sql(sql.replace("?", ledger.db.param), ("f" * 64,))
    result = ledger.verify_audit()
    assert not result.ok and result.first_bad == last.id and "head records" in result.problem
    # the tail cut back: the first entry missing is named
    ledger.db.execute_sql(sql.replace("?", ledger.db.param), (last.mac,))
    ledger.db.execute_sql('DELETE FROM audit_entry WHERE id = ' + ledger.db.param, (last.id,))
    result = ledger.verify_audit()
    assert not result.ok and result.first_bad == last.id


def test_the_key_file_is_read_again_only_when_it_changes_and_kept_when_it_goes(tmp_path):
    from tongchou.audit import AuditChain, Keyring
    path = tmp_path / "audit.key"
    first = bytes(range(32))
    Keyring.single(first).write(path)
    chain = AuditChain(Keyring.read(path), key_file=path)
    assert chain.refresh_keys() is False                 # unchanged: not read again
    Keyring(((1, first), (9, bytes(range(1, 33))))).write(path)
    assert chain.refresh_keys() is True and len(chain.keys.keys) == 2
    path.unlink()                                        # gone: the keys in memory stay
    assert chain.refresh_keys() is False and len(chain.keys.keys) == 2


def test_an_assessment_names_its_kind_in_the_obligation_and_the_finding(xichuan):
    params = xichuan.parameters([])
    for kind, label in (("mlps", "等级保护测评"), ("crypto", "商用密码应用安全性评估")):
        failed = [SimpleNamespace(action="record_assessment", date=D(2026, 8, 3), args={"type": kind, "result": "fail"})]
        [finding] = security._assessment_failed(kind)(_Project("in_operation", mlps_level=3), failed, params)
        assert finding.message == f"最近一次{label}未通过，应整改后复测"
        [owed] = security._next_assessment(kind)(_Project("in_operation", mlps_level=3), failed, params)
        assert label in owed.message and ("密码" in owed.message) == (kind == "crypto")


def test_the_duplicate_index_recomputes_an_answer_once_the_projects_change():
    from tongchou.plugins.xichuan.dupindex import LedgerIndex
    from tongchou.plugins.xichuan.similarity import CharGramRule, SimilarityIndex
    state = LedgerIndex(SimilarityIndex(CharGramRule()))
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert state.memo("k", compute) == 1 and state.memo("k", compute) == 1
    state.generation += 1
    assert state.memo("k", compute) == 2 and len(calls) == 2


def test_a_unit_user_lists_duplicates_among_its_own_units_projects_only(xichuan):
    from tongchou.plugins.xichuan.duplicates_cli import _visible
    from tongchou.plugins.xichuan.dupindex import Meta
    meta = {1: Meta("县教育局", 2026, "draft"), 2: Meta("县民政局", 2026, "draft"), 3: Meta("县教育局", 2027, "approved")}
    ledger = SimpleNamespace(registry=xichuan.registry, unit_name=lambda uid: {7: "县教育局"}[uid])
    staff = Actor(name="s", role="unit", unit_id=7, unit="县教育局", id=1)
    assert _visible(ledger, staff, meta) == {1, 3}
    assert _visible(ledger, Actor(name="b", role="bureau", unit_id=None, unit="", id=2), meta) is None


def test_only_a_new_system_not_yet_using_ai_is_advised_to_consider_it(xichuan):
    # 第十二条: 规划阶段 — a draft or submitted system that does not use AI yet
    from tongchou.plugins.xichuan import ai
    kind = sorted(ai.AI_KINDS)[0]
    consider = lambda status, **f: ai._consider(_Project(status, **f), [], None)  # noqa: E731
    [advice] = consider("draft", uses_ai=False, kind=kind)
    assert advice.code == "xichuan.ai.consider" and advice.citation.articles == (12,)
    assert consider("submitted", uses_ai=False, kind=kind)
    assert consider("draft", uses_ai=True, kind=kind) is None
    assert consider("draft", uses_ai=False, kind="equipment_network") is None
    assert consider("approved", uses_ai=False, kind=kind) is None


def test_the_same_text_scores_one_and_texts_sharing_nothing_score_zero():
    from tongchou.plugins.xichuan.similarity import CharGramRule
    rule = CharGramRule()
    assert rule._sim({"远程", "会诊"}, {"远程", "会诊"}) == 1.0
    assert rule._sim({"远程"}, {"停车"}) == 0.0
    # half the weight shared, one side inside the other: Dice 2/3 and overlap 1, averaged
    assert rule._sim({"远程", "会诊"}, {"远程"}) == pytest.approx((2 / 3 + 1) / 2)


def test_a_project_is_found_by_its_name_alone():
    from tongchou.plugins.xichuan.similarity import CharGramRule, SimilarityIndex
    index = SimilarityIndex(CharGramRule())
    index.add(1, "智慧停车收费系统", "")
    index.add(2, "县医院远程会诊平台", "采购会诊终端")
    assert [m.id for m in index.similar("智慧停车收费系统", "")] == [1]
    assert index.add(1, "智慧停车收费系统", "") is False       # the same texts: nothing to re-index


def test_the_similar_command_lists_five_projects_unless_told():
    import argparse
    from tongchou.plugins.xichuan.duplicates_cli import add_commands
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    assert parser.parse_args(["similar", "3"]).top == 5
    assert parser.parse_args(["similar", "3", "--top", "8"]).top == 8


def test_a_suspected_pair_is_listed_older_first_with_both_names(county):
    from tongchou.plugins.xichuan.duplicates import PLUGIN
    from tongchou.plugins.xichuan.duplicates_cli import duplicate_pairs
    from tongchou.plugins.xichuan.duplicates_panel import panel_html
    video = ("雪亮工程视频资源整合", "整合全县公共安全视频监控点位,建设视频图像共享交换平台,实现重点路口、学校周边视频监控联网共享和分级调阅")
    video2 = ("城区视频监控资源共享平台", "整合城区公共安全视频监控点位和城管视频,建设视频图像共享交换平台,实现重点路口视频联网共享和调阅")
    older = county.project(name=video[0], scope=video[1])
    newer = county.project(name=video2[0], scope=video2[1])
    [row] = duplicate_pairs(county.ledger, on=D(2026, 1, 1))
    assert (row["older"], row["older_name"], row["newer"], row["newer_name"]) == (older.id, video[0], newer.id, video2[0])
    assert row["decision"] == "open" and row["citation"].startswith("淅政办")
    # the older project's “相似项目” panel lists the newer one too (only the advice looks back alone)
    html = panel_html(PLUGIN, county.ledger, county.ledger.project(older.id), county.users["bureau"])
    assert f"#{newer.id} {video2[0]}" in html


def test_a_rectified_order_stays_on_record_citing_article_35():
    from tongchou.plugins.xichuan import oversight
    history = _h("order_rectification", "rectify", order_rectification={"deadline": D(2026, 8, 31), "reason": "逾期"})
    [done] = oversight._rectification(_Project("under_construction"), history, None)
    assert done.citation.articles == (35,) and done.closed_on == history[1].date and done.due == D(2026, 8, 31)


def test_the_ledger_wide_audit_pairs_each_close_pair_once_older_first():
    # used instead of per-project search above PER_PROJECT_LIMIT projects: blocking on shared rare grams
    from tongchou.plugins.xichuan.similarity import CharGramRule, SimilarityIndex
    index = SimilarityIndex(CharGramRule())
    index.add(1, "雪亮工程视频资源整合", "整合全县公共安全视频监控点位,建设视频图像共享交换平台")
    index.add(2, "城区视频监控资源共享平台", "整合城区公共安全视频监控点位,建设视频图像共享交换平台")
    index.add(3, "中小学录播教室设备采购", "采购录播主机、高清摄像机和拾音设备")
    found = [(a, b) for a, b, m in index.pairs(0.5)]
    assert found == [(1, 2)]
    assert [(a, b) for a, b, m in index.pairs(0.5, only=[3])] == []
