"""How the public pages word a case's progress: the steps bar, stage and outcome names, the
timeline's action codes in plain Chinese (English through the .po fragment), and the results
the complainant may read. Pure presentation over `queries.cases.public_view`'s dict."""
from __future__ import annotations

from flask_babel import gettext as _

from app.web.staff_labels import task_name
from app.web.template_helpers import local_datetime

STEP_OF_STAGE = {"intake": 1, "referral": 2, "verification": 3, "explanation": 4, "rectification": 4,
                 "settlement": 4, "dispute": 4, "determination": 4, "sanction": 4, "repair": 4,
                 "follow_up": 5, "closed": 6}


def step_labels() -> list[str]:
    return [_("提交投诉"), _("受理审查"), _("转办"), _("核实"), _("处理"), _("回访评价"), _("办结")]


STEP_OF_TASK = {"受理审查": 1, "补正材料": 1, "签收转办": 2, "改派承办单位": 2, "核实投诉": 3, "回访评价": 5}


def steps(view: dict) -> list[dict]:
    """The progress bar: each step done, current, still to come, or skipped (a case closed early:
    not accepted, merged or withdrawn, judged by the steps its public timeline shows)."""
    labels = step_labels()
    last = len(labels) - 1
    if view.get("status") == "closed":
        reached = max([STEP_OF_TASK.get(e.get("task") or "", 4) for e in view.get("timeline") or []
                       if e.get("action") == "task_completed"] + [0])
        return [{"label": label, "state": "done" if i <= reached or i == last else "skipped"}
                for i, label in enumerate(labels)]
    current = STEP_OF_STAGE.get(view.get("stage") or "", 1)
    return [{"label": label, "state": "done" if i < current else "current" if i == current else "todo"}
            for i, label in enumerate(labels)]


def stage_label(stage: str | None, status: str | None = None) -> str:
    if status == "closed":
        return _("已办结")
    labels = {"intake": _("受理审查"), "referral": _("转交承办单位"), "verification": _("核实"),
              "explanation": _("解释说明"), "rectification": _("整改"), "settlement": _("和解"),
              "dispute": _("分歧处理"), "determination": _("违约失信认定"), "sanction": _("失信惩戒"),
              "repair": _("信用修复"), "follow_up": _("回访评价"), "closed": _("已办结")}
    return labels.get(stage or "", stage or "")


def outcome_label(outcome: str | None) -> str:
    labels = {"not_accepted": _("不予受理"), "merged": _("并入已有案件办理"),
              "unfounded_explained": _("经核实情况不属实，已向投诉人解释说明"), "rectified": _("被投诉主体已整改到位"),
              "settled": _("双方已达成和解协议"), "dispute_resolved": _("分歧已通过协商或法律途径解决"),
              "breach_repaired": _("已认定违约失信，履约后已信用修复"), "withdrawn": _("投诉人已撤回投诉")}
    return labels.get(outcome or "", outcome or "")


def _value_label(key: str, value) -> str:
    labels = {
        "intake_decision": {"accept": _("予以受理"), "not_accepted": _("不予受理"),
                            "supplement_required": _("需补正材料"), "merged": _("并单（重复投诉）")},
        "verification_result": {"unsubstantiated": _("情况不属实"), "substantiated_undisputed": _("情况属实且无分歧"),
                                "substantiated_disputed": _("情况属实但有分歧")},
        "explanation_method": {"phone": _("电话"), "in_person": _("当面"), "written": _("书面"),
                               "online": _("网上答复")},
    }
    if key == "outcome":
        return outcome_label(value)
    if key in ("rectify_deadline",):
        return local_datetime(value)
    return labels.get(key, {}).get(value, "" if value is None else str(value))


def result_rows(result: dict, handling_org: str | None) -> list[dict]:
    """The results so far, in the order the case runs, as {label, text, long} rows."""
    titles = [("intake_decision", _("受理审查结论")), ("supplement_request", _("需补正的材料")),
              ("not_accepted_reason", _("不予受理理由")), ("routing_basis", _("转办依据")),
              ("verification_result", _("核实结论")), ("verification_findings", _("核实情况")),
              ("explanation_method", _("解释方式")), ("explanation_content", _("解释说明内容")),
              ("explained_on", _("解释日期")), ("rectify_deadline", _("整改截止时间")),
              ("rectification_report", _("整改情况报告")), ("settlement_terms", _("和解协议主要内容")),
              ("outcome", _("办理结果"))]
    rows = []
    for key, label in titles:
        if key == "routing_basis" and handling_org:
            rows.append({"label": _("承办单位"), "text": _(handling_org), "long": False})
        if result.get(key) in (None, ""):
            continue
        text = _value_label(key, result[key])
        rows.append({"label": label, "text": text, "long": len(text) > 40})
    return rows


def task_context(spec_id: str | None, result: dict, instructions: str = "") -> list[dict]:
    """What the complainant needs in front of them to do a task (the request, the report, the terms),
    unless the task's instructions already quote it."""
    wanted = {"supply_material": [("supplement_request", _("需补正的材料"))],
              "confirm_rectification": [("rectification_report", _("整改情况报告")), ("rectify_deadline", _("整改截止时间"))],
              "confirm_settlement": [("settlement_terms", _("和解协议主要内容"))],
              "follow_up_visit": [("outcome", _("办理结果"))]}.get(spec_id or "", [])
    rows = [{"label": label, "text": _value_label(key, result[key])} for key, label in wanted
            if result.get(key) not in (None, "")]
    return [row for row in rows if row["text"] not in (instructions or "")]


def _action_label(entry: dict) -> str:
    action, name = entry.get("action") or "", entry.get("task")
    if action == "task_completed":
        return _("%(task)s：已完成", task=task_name(name)) if name else _("办理环节已完成")
    labels = {
        "complaint_registered": _("投诉已提交，受理单位已收到"),
        "complaint_withdrawn": _("投诉人撤回投诉"),
        "clock_paused": _("等待投诉人办理，办理期限暂停计算"),
        "clock_resumed": _("恢复计算办理期限"),
        "deadline_recomputed": _("因节假日安排调整，办理期限已重新计算"),
        "attachments_added": _("上传了证明材料"),
        "event:case_closed": _("案件办结"),
        "event:breach_determined": _("认定为违约失信，记入政务信用记录"),
        "event:sanctions_proposed": _("提出失信惩戒措施"),
        "event:credit_repaired": _("完成信用修复，终止失信惩戒"),
        "event:rectification_reminder": _("已向承办单位催办"),
    }
    return labels.get(action, action)


def timeline(view: dict) -> list[dict]:
    """Newest first; where a step's result is known it is shown under its latest occurrence."""
    result = view.get("result") or {}
    entries = [{"at": e.get("at"), "label": _action_label(e), "detail": "", "action": e.get("action"),
                "task": e.get("task")} for e in view.get("timeline") or []]
    details = {
        "受理审查": _value_label("intake_decision", result.get("intake_decision")) if result.get("intake_decision") else "",
        "签收转办": _("承办单位：%(org)s", org=_(view["handling_org"])) if view.get("handling_org") else "",
        "核实投诉": (_value_label("verification_result", result["verification_result"])
                   if result.get("verification_result") else ""),
        "确定处置方式": (_("整改截止时间：%(when)s", when=local_datetime(result["rectify_deadline"]))
                     if result.get("rectify_deadline") else ""),
    }
    done: set[str] = set()
    for entry in reversed(entries):
        name = entry["task"]
        if entry["action"] == "task_completed" and name in details and name not in done:
            entry["detail"] = details[name]
            done.add(name)
        if entry["action"] == "event:case_closed" and view.get("outcome"):
            entry["detail"] = outcome_label(view["outcome"])
    return list(reversed(entries))
