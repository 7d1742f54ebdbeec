"""第十四条: within 15 working days of a passed acceptance the builder files
the acceptance documents with the data bureau (验收备案).

Working days follow China's official calendar (``chinesecalendar``), extended by
the pack's own dated lists ``holidays_extra`` / ``workdays_extra`` for years the
package does not cover yet; a deadline in a year nobody covers says so in its
message.  The rule is a declared obligation rule with its own code, so a ledger
can switch it off or a later pack replace it alone.
"""
from __future__ import annotations

from tongchou import Action, Obligation, ObligationRule
from tongchou.deadlines import due_after
from tongchou.workdays import WorkingCalendar

from .common import cite, hookimpl, parameters

TITLE = "验收备案:验收通过后15个工作日内备案"
ARTICLES = (14,)
CODE = "wangchuan.filing.due"


@hookimpl
def tongchou_actions():
    return [Action("file_acceptance", "验收备案", roles=("unit",), party="builder", citation=cite(14),
                   from_statuses=("accepted", "in_operation"),
                   help="验收通过之日起15个工作日内,由建设运营单位将验收材料报县数据局备案")]


def filing_due(project, history, params, **optional):
    """One obligation per passed acceptance, closed by the next filing."""
    calendar = WorkingCalendar.from_parameters(params)  # national calendar + the pack's lists
    out = []
    for ev in history:
        if ev.action != "accept" or ev.args.get("result") != "pass":
            continue
        days = params.value("filing_working_days", ev.date)
        due = due_after(ev.date, days, "working_days", calendar=calendar)
        filed = next((e.date for e in history if e.action == "file_acceptance" and e.seq > ev.seq), None)
        out.append(Obligation(CODE, cite(14), due.date,
                              due.message(f"验收通过后{due.label}内报县数据局备案"), closed_on=filed))
    return out or None


@hookimpl
def tongchou_obligation_rules():
    return [ObligationRule(CODE, cite(14), filing_due, "验收通过后15个工作日内备案")]


@hookimpl
def tongchou_parameters():
    return parameters("filing_working_days", "holidays_extra", "workdays_extra")
