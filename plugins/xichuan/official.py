"""公文: the technical review opinion (第七条、第八条), the rectification notice
(第十九条、第三十五条 and the article of each problem) and the acceptance
opinion (第十八条、第十九条), filled from a project's record.

The templates are in ``templates/`` and are made by
``templates/make_templates.py`` to GB/T 9704-2012 (红头, 文号, 版记 ...); a
county that words its documents otherwise contributes the same kinds with
``replaces="xichuan.official"``.  Only the bureau's staff issue them (take a
文号; anyone who reads the project may preview a draft).  Who signs them, to
whom they are copied and the 文号 prefix of each kind are parameters
(``issuing_body``, ``official_copy_to``, ``number_prefix_<kind>``), so a
county changes a name without touching a template.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tongchou.citation import article_label
from tongchou.dates import add_months

from .common import (ACCEPTANCE_DOCUMENTS, REVIEW_DIMENSIONS, TITLE as MEASURES, articles, hookimpl, parameters,
                     wording)

if TYPE_CHECKING:  # pragma: no cover
    from tongchou.official import DocumentContext

TITLE = "公文：技术审查意见、整改通知、验收意见"
PARAMETERS = ("issuing_body", "official_copy_to", "number_prefix_technical_review",
              "number_prefix_rectification_notice", "number_prefix_acceptance_opinion")
ARTICLES = (7, 8, 18, 19, 35)
TEMPLATES = Path(__file__).resolve().parent / "templates"
RESULT_LABEL = {"pass": "通过", "fail": "不通过"}
#: who issues them: the three go out under the bureau's letterhead (``issuing_body``)
#: and take numbers from its register (第七条: the bureau "出具项目审查意见"), so only
#: its staff sign them; every reader of the project may preview a draft.
ISSUERS = ("bureau",)


def chinese_date(day) -> str:
    # tongchou.official is read only when a document is made: loading the pack
    # (every command) need not compile it
    from tongchou.official import chinese_date as written
    return written(day)


def _articles_label(*numbers: int) -> str:
    return "、".join(article_label(n) for n in numbers)


def _article_text(number: int, about: str = "") -> str:
    """The article's text, or only its paragraph that mentions ``about``."""
    (art,) = articles(number)
    paragraphs = [" ".join(p.split()) for p in art.text.splitlines() if p.strip()]
    chosen = [p for p in paragraphs if about in p] if about else paragraphs
    return " ".join(chosen or paragraphs)


def office(doc: DocumentContext) -> dict[str, str]:
    """The 红头, 落款 and 版记 of every document, from the parameters in force."""
    body = wording(doc.params, "issuing_body", doc.on, "县行政审批和政务信息管理局")
    copy_to = wording(doc.params, "official_copy_to", doc.on, "")
    return {"body": body, "letterhead": f"{body}文件",
            "copy_to": "，".join(p.strip() for p in copy_to.replace(",", "，").replace("、", "，").split("，")
                                if p.strip())}


def prefix(kind: str):
    """The 文号 prefix of ``kind`` on the issue date (``number_prefix_<kind>``)."""
    return lambda doc: wording(doc.params, f"number_prefix_{kind}", doc.on, "")


def review_context(doc: DocumentContext):
    """第七条: the bureau reviews necessity, scale, technology, security and
    intensiveness and issues its opinion; 第八条 adds the leader's consent for
    ad-hoc projects."""
    review = doc.last("review")
    if review is None:
        return None
    passed = review.args.get("result") == "pass"
    seen = set(review.args.get("dimensions") or ())
    basis = (7, 8) if doc.project["source"] == "ad_hoc" else (7,)
    consent = doc.last("leader_consent")
    approver = wording(doc.params, "approval_body", review.date, "县政府")
    leader = wording(doc.params, "consent_body", consent.date if consent else review.date, "县分管领导")
    return {
        "measures": MEASURES,
        "office": office(doc),
        "review": {
            "date": chinese_date(review.date),
            "result": RESULT_LABEL.get(review.args.get("result"), ""),
            "basis": _articles_label(*basis),
            "article_text": _article_text(7, "进行审查"),
            "consent": (f"该项目属国家和省、市临时安排，已于{chinese_date(consent.date)}经{leader}同意。"
                        if consent is not None and 8 in basis else ""),
            "conclusion": ("经审查，该项目建设必要、规模合理、技术先进、安全可靠、集约建设，同意通过技术审查，"
                           f"请按程序报{approver}批准。" if passed else
                           "经审查，该项目未通过技术审查，请根据审查意见修改完善后重新申报。"),
        },
        "dimensions": [{"label": c.label,
                        "reviewed": "已审查" if c.value in seen else "未审查",
                        "result": RESULT_LABEL.get(review.args.get("result"), "") if c.value in seen else "未审查"}
                       for c in REVIEW_DIMENSIONS],
    }


def rectification_context(doc: DocumentContext):
    """A notice listing what must be put right, each with the article it
    breaks and its deadline.  The deadline is the one the supervising body set
    (第三十五条) when there is an open order, else ``rectification_months``
    (第十九条, one month) after the notice."""
    orders = sorted((o for o in doc.open_obligations if o.code == "xichuan.oversight.rectification"),
                    key=lambda o: o.due)
    if orders:
        deadline, deadline_basis = orders[0].due, _articles_label(35)
    else:
        months = doc.params.value("rectification_months", doc.on)
        deadline, deadline_basis = add_months(doc.on, months), _articles_label(19)
    items = []
    for o in doc.open_obligations:
        if o.overdue_on(doc.on):
            items.append({"problem": f"{o.message}（原定{chinese_date(o.due)}前完成，已逾期）",
                          "article": "、".join(o.citation.article_labels), "due": chinese_date(o.due),
                          "deadline": chinese_date(deadline)})
        elif o.code == "xichuan.oversight.rectification":
            items.append({"problem": o.message, "article": "、".join(o.citation.article_labels),
                          "due": chinese_date(o.due), "deadline": chinese_date(o.due)})
    for f in doc.findings:
        if f.severity == "violation":
            items.append({"problem": f.message, "article": "、".join(f.citation.article_labels),
                          "due": "", "deadline": chinese_date(deadline)})
    if not items:
        return None
    return {"measures": MEASURES, "office": office(doc), "items": items,
            "notice": {"deadline": chinese_date(deadline), "deadline_basis": deadline_basis,
                       "count": str(len(items))}}


def acceptance_context(doc: DocumentContext):
    """第十八条: the acceptance file and who may take part; 第十九条: a failed
    acceptance is put right within ``rectification_months`` and accepted anew."""
    acc = doc.last("accept")
    if acc is None:
        return None
    passed = acc.args.get("result") == "pass"
    given = set(acc.args.get("documents") or ())
    completed = doc.last("complete")
    rectify_due = ""
    if not passed:
        months = doc.params.value("rectification_months", acc.date)
        rectify_due = chinese_date(add_months(acc.date, months))
    ai = ""
    if doc.project["uses_ai"]:
        ai = ("已对人工智能大模型的应用效果进行评估（第十二条）。" if acc.args.get("ai_effect_evaluated")
              else "未对人工智能大模型的应用效果进行评估（第十二条）。")
    return {
        "measures": MEASURES,
        "office": office(doc),
        "acceptance": {
            "date": chinese_date(acc.date),
            "completed": chinese_date(completed.date) if completed else "",
            "result": RESULT_LABEL.get(acc.args.get("result"), ""),
            "basis": _articles_label(18) if passed else _articles_label(18, 19),
            "ai": ai,
            "conclusion": ("验收材料齐全，项目按批复内容建成，同意通过验收。" if passed else
                           f"项目未通过验收。请于{rectify_due}前完成整改后重新组织验收（第十九条）。"),
        },
        "documents": [{"label": c.label, "submitted": "已提交" if c.value in given else "未提交"}
                      for c in ACCEPTANCE_DOCUMENTS],
    }


@hookimpl
def tongchou_parameters():
    return parameters(*PARAMETERS)


@hookimpl
def tongchou_document_templates():
    from tongchou.official import DocumentTemplate
    return [
        DocumentTemplate("technical_review", "技术审查意见", TEMPLATES / "technical_review.docx",
                         review_context, roles=ISSUERS, order=10, prefix=prefix("technical_review")),
        DocumentTemplate("rectification_notice", "整改通知", TEMPLATES / "rectification_notice.docx",
                         rectification_context, roles=ISSUERS, order=20, prefix=prefix("rectification_notice")),
        DocumentTemplate("acceptance_opinion", "验收意见", TEMPLATES / "acceptance_opinion.docx",
                         acceptance_context, roles=ISSUERS, order=30, prefix=prefix("acceptance_opinion")),
    ]
