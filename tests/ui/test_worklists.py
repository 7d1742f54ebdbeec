"""The staff's daily tool, as each role uses it: 我的待办 from the rules, the
action panel (next step first, refused actions disabled with their reasons, a
confirmation before a sanction), 下一步 with its checklist, and documents
that must be uploaded before they can be named.  Screenshots go to /tmp."""
from __future__ import annotations

import pytest

import json
import os
import subprocess

from .conftest import _tongchou, serve_ledger, tongchou
from .test_journeys import login, logout, open_action, status, submit

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PDF = b"%PDF-1.4\n% test\n"


def upload_in_place(page, kind: str):
    page.locator(".tc-evidence-kind select").select_option(label=kind)
    page.locator(".tc-evidence-file input[type=file]").set_input_files(
        {"name": f"{kind}.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.locator(".tc-evidence-upload button").click()
    expect(page.locator(".tc-evidence-feedback")).to_contain_text(kind)


def test_worklists_follow_the_rules_for_finance_and_drc(page, ui_server):
    login(page, ui_server, "finance")
    page.locator(".tc-nav-worklist button").click()
    table = page.locator(".tc-worklist-full")
    for name in ("家庭医生签约服务系统", "国土空间规划一张图", "智慧停车诱导系统", "公安检查站智能查控"):
        row = table.locator(".tabulator-row", has_text=name)
        expect(row).to_contain_text("安排预算")
        expect(row).to_contain_text("第十一条")
    page.screenshot(path="/tmp/tc-worklist-finance.png", full_page=True)
    logout(page)
    login(page, ui_server, "drc")
    page.locator(".tc-nav-worklist button").click()
    row = page.locator(".tc-worklist-full .tabulator-row", has_text="国土空间规划一张图")
    expect(row).to_contain_text("批复审批文件")
    expect(row).to_contain_text("第九条")


def test_next_steps_checklist_and_a_disabled_action_with_its_reason(page, ui_server):
    pid = ui_server["ids"]["公安检查站智能查控"]  # planned, approval documents done
    clauses = ("scope,standards,technical_specs,schedule,equipment_list,acceptance_requirements,training,"
               "payment,documentation,warranty,intellectual_property,confidentiality,after_sales,liability")
    tongchou(ui_server, "act", str(pid), "budget", "--user", "finance", "amount=3100000")
    tongchou(ui_server, "act", str(pid), "tender", "--user", "gongan")
    tongchou(ui_server, "act", str(pid), "sign_contract", "--user", "gongan", f"clauses={clauses}")
    login(page, ui_server, "gongan", path=f"?project={pid}")
    expect(status(page)).to_have_text("已签订合同")
    steps = page.locator(".tc-next-steps")
    supervisor = steps.locator('.tc-next-step[data-action="appoint_supervisor"]')
    expect(supervisor).to_have_attribute("data-ready", "true")
    start = steps.locator('.tc-next-step[data-action="start_construction"]')
    expect(start).to_have_attribute("data-ready", "false")
    expect(start.locator(".tc-need")).to_contain_text("监理")
    # The panel: 委托监理 is the next step; 开工建设 is disabled, saying why (the same guard).
    expect(page.locator(".tc-actions-next .tc-act-appoint_supervisor button")).to_be_enabled()
    expect(page.locator(".tc-act-start_construction button")).to_be_disabled()
    expect(page.locator(".tc-why-start_construction")).to_contain_text("第十六条")
    page.screenshot(path="/tmp/tc-project-next-steps.png", full_page=True)


def test_a_sanction_asks_for_confirmation_naming_its_consequence(page, ui_server):
    pid = ui_server["ids"]["智慧交通信号控制"]  # under construction
    login(page, ui_server, "finance", path=f"?project={pid}")
    expect(status(page)).to_have_text("建设中")
    button = page.locator(".tc-actions-other .tc-act-suspend.tc-act-warn button")
    expect(button).to_be_visible()
    button.click()
    page.locator(".tc-f-reason textarea").fill("进度严重滞后")
    submit(page)
    confirm = page.locator(".tc-confirm-text")
    expect(confirm).to_contain_text("暂缓拨付资金")
    expect(status(page)).to_have_text("建设中")  # nothing happens before the confirmation
    page.screenshot(path="/tmp/tc-confirm.png", full_page=True)
    page.locator(".tc-confirm-go button").click()
    expect(status(page)).to_have_text("暂停建设", timeout=10000)


def test_acceptance_documents_are_picked_from_uploads(page, ui_server):
    pid = ui_server["ids"]["劳动保障监察网格化系统"]  # completed, acceptance overdue
    login(page, ui_server, "renshe", path=f"?project={pid}")
    expect(status(page)).to_have_text("已建成待验收")
    open_action(page, "accept")
    boxes = page.locator(".tc-f-documents input[type=checkbox]")
    expect(boxes).to_have_count(0)  # nothing uploaded: nothing can be named
    expect(page.locator(".tc-evidence-note")).to_contain_text("尚未上传")
    upload_in_place(page, "项目建设总结")
    expect(boxes).to_have_count(1)
    expect(page.locator(".tc-f-documents")).to_contain_text("项目建设总结")
    boxes.first.check()
    page.locator(".tc-f-result select").select_option(label="通过")
    submit(page)
    expect(page.locator(".tc-form-errors .tc-alert")).to_contain_text("财务报告")  # the other three are missing


def test_my_worklist_is_tongchou_todo_for_every_demo_role(browser, tmp_path):
    """我的待办 in the UI lists the same projects and actions as ``tongchou
    todo --user NAME --json``, role by role, on a demo county of its own (the
    shared one is changed by the other tests, and the UI caches a list briefly)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(tmp_path / "audit.key")
    db = tmp_path / "demo.db"
    subprocess.run(_tongchou() + ["--db", str(db), "init", "--demo"], check=True, env=env,
                   capture_output=True, timeout=120)
    server = {"db": db, "env": env}
    expected = {}
    for user in ("jiaoyu", "renshe", "bureau", "drc", "finance", "government", "leader", "oversight", "admin"):
        entries = json.loads(tongchou(server, "todo", "--user", user, "--json"))
        by_project: dict[int, set[str]] = {}
        for e in entries:
            assert e["project_id"] and e["action"] and e["reason"], e
            by_project.setdefault(e["project_id"], set()).add(e["action_label"])
        expected[user] = by_project
    assert expected["leader"] and expected["finance"] and expected["drc"]  # none of them idle on the demo
    assert expected["oversight"] == {} and expected["admin"] == {}
    with serve_ledger(tmp_path, db, env) as base:
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        try:
            for user, by_project in expected.items():
                login(page, {"base": base}, user)
                if not by_project:  # a role that takes no action has no 我的待办
                    expect(page.locator(".tc-nav-worklist")).to_have_count(0)
                    logout(page)
                    continue
                page.locator(".tc-nav-worklist button").click()
                rows = page.locator(".tc-worklist-full .tabulator-row")
                expect(rows).to_have_count(len(by_project))
                ids = [int(i) for i in rows.locator('[tabulator-field="id"]').all_inner_texts()]
                todo = rows.locator('[tabulator-field="todo"]').all_inner_texts()
                assert sorted(ids) == sorted(by_project), user
                for pid, text in zip(ids, todo):
                    assert all(label in text for label in by_project[pid]), (user, pid, text)
                logout(page)
        finally:
            context.close()
