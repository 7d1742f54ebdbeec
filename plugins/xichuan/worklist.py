"""What each project waits for (我的待办 and 下一步): the main path of the
measures — 申报, 审查, 批准, 批复审批文件, 计划, 预算, 招标, 合同, 监理, 开工,
建成, 验收, 运行 — and what is owed on it (整改, 到期的验收与测评, 共享登记,
关停核准).  The core puts each step on the list of the users who may take it.
"""
from __future__ import annotations

from tongchou import Todo, todo_actions

from .approval import DOC_ORDER, approved_documents
from .common import APPROVAL_DOCUMENTS, articles, cite, hookimpl, parameters
from .funds import budgets
from .operation import is_idle
from .oversight import open_orders

TITLE = "待办：各方的下一步"
ARTICLES: tuple[int, ...] = ()

#: statuses in which the 第九条 approval documents and a 第十一条 budget are
#: still awaited (after approval, before construction starts)
BEFORE_CONSTRUCTION = ("approved", "planned", "procuring", "contracted")
#: obligations the unit discharges by an action: code -> action
DISCHARGED_BY = {
    "xichuan.acceptance.due": "accept",
    "xichuan.acceptance.explained": "accept",
    "xichuan.acceptance.rectify": "accept",
    "xichuan.security.mlps_next": "record_assessment",
    "xichuan.security.crypto_next": "record_assessment",
    "xichuan.oversight.rectification": "rectify",
}


def _government_investment(project) -> bool:
    return project["category"] == "government_investment"


def _main_path(project, history) -> list[Todo]:
    s = project.status
    out: list[Todo] = []
    if s == "draft":
        out.append(Todo("apply", "项目材料填报完成后向县行政审批和政务信息管理局申报", cite(7, 8)))
    elif s == "submitted":
        if project["source"] == "ad_hoc" and not any(ev.action == "leader_consent" for ev in history):
            out.append(Todo("leader_consent", "临时安排项目须先报县分管领导同意", cite(8)))
        else:
            out.append(Todo("review", "对申报项目进行技术审查，出具审查意见", cite(7)))
    elif s == "reviewed":
        out.append(Todo("approve", "技术审查已通过，待县政府批准", cite(7)))
    elif s == "approved" and _government_investment(project):
        out.append(Todo("plan", "政府投资项目待列入年度投资计划", cite(7, 8, 11)))
    if s in BEFORE_CONSTRUCTION:
        done = approved_documents(history)
        if _government_investment(project) and len(done) < len(DOC_ORDER):
            nxt = APPROVAL_DOCUMENTS[len(done)]
            out.append(Todo("approve_document", f"政府投资项目待批复{nxt.label}（审批环节依次批复）", cite(9)))
        reviewed = project["source"] == "higher_level" or any(
            ev.action == "review" and ev.args.get("result") == "pass" for ev in history)
        if not budgets(history) and reviewed:
            out.append(Todo("budget", "项目已批准，尚未安排预算", cite(11)))
    if s in ("approved", "planned") and budgets(history):
        out.append(Todo("tender", "预算已安排，依据批复文件和技术审查意见组织招标采购", cite(13, 14)))
    elif s == "procuring":
        out.append(Todo("sign_contract", "招标采购完成后签订建设合同", cite(15)))
    elif s == "contracted":
        if _government_investment(project) and not any(ev.action == "appoint_supervisor" for ev in history):
            out.append(Todo("appoint_supervisor", "政府投资建设类项目开工前须委托具有资质的监理单位", cite(16)))
        out.append(Todo("start_construction", "合同已签订，具备条件后开工建设", cite(11)))
    elif s == "under_construction":
        out.append(Todo("complete", "项目建成后报告建成，并在规定期限内组织验收", cite(18)))
    elif s in ("completed", "acceptance_failed"):
        out.append(Todo("accept", "项目已建成，按期组织验收", cite(18)))
    elif s == "accepted":
        out.append(Todo("start_operation", "项目已验收，确定运维方式后投入运行", cite(21)))
    elif s == "in_operation":
        if not any(ev.action == "record_sharing" for ev in history):
            out.append(Todo("record_sharing", "尚未登记系统对接互通、数据归集和信息共享情况", cite(23, 27)))
        if is_idle(history):
            out.append(Todo("retire", "系统已报告停止运行或长期未使用，待核准关停", cite(20)))
    elif s == "suspended":
        last = next((ev for ev in reversed(history) if ev.action == "suspend"), None)
        if last is not None and any(ev.action == "rectify" and ev.seq > last.seq for ev in history):
            out.append(Todo("resume", "整改已报告完成，核实后恢复建设", cite(35)))
    return out


#: every action the hook below may propose: a worklist then reads only the
#: projects in statuses where one of them may start
PROPOSED = ("apply", "leader_consent", "review", "approve", "plan", "approve_document", "budget", "tender",
            "sign_contract", "appoint_supervisor", "start_construction", "complete", "accept",
            "start_operation", "record_sharing", "retire", "resume", "explain_delay",
            *DISCHARGED_BY.values())


@hookimpl
@todo_actions(*PROPOSED)
def tongchou_todos(project, history, params, on, obligations):
    """The main path's next step(s), and what is owed: an open obligation
    due within ``todo_lead_days`` (or overdue) becomes the action that
    discharges it; an open rectification order is owed whatever its due date."""
    out = _main_path(project, history)
    lead = params.value("todo_lead_days", on)
    for ob in obligations:
        action = DISCHARGED_BY.get(ob.code)
        if action is None:
            continue
        urgent = ob.code == "xichuan.oversight.rectification" or (ob.due - on).days <= lead
        if not urgent:
            continue
        # the main path's own entry for the same action gives way to the deadline
        out = [t for t in out if t.action != action]
        out.append(Todo(action, f"{ob.message}（期限 {ob.due}）", ob.citation, code=ob.code, due=ob.due))
        if ob.code.startswith("xichuan.acceptance.") and ob.due < on \
                and ob.code != "xichuan.acceptance.explained":
            out.append(Todo("explain_delay", "未能按期验收，应提交书面说明并明确验收时间", cite(19),
                            code=ob.code, due=ob.due))
    if project.status != "suspended" and open_orders(history) and not any(t.action == "rectify" for t in out):
        out.append(Todo("rectify", "有待完成的整改通知", cite(35)))
    return out


@hookimpl
def tongchou_parameters():
    return parameters("todo_lead_days")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
