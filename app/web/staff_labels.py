"""Words for the codes the staff pages show: stages, statuses, outcomes, channels, regions, audit
actions, timers and due rules. Every label is a Chinese source string in `_()` (English in
translations/en/staff.po); an unknown code is shown as it is, never hidden."""
from __future__ import annotations

import re

from flask import Flask
from flask_babel import gettext as _

from app.models.case import CHANNELS

STAGES = ("intake", "referral", "verification", "explanation", "rectification", "settlement", "dispute",
          "determination", "sanction", "repair", "follow_up", "closed")


def stage_label(code: str | None) -> str:
    labels = {"intake": _("受理"), "referral": _("转办"), "verification": _("核实"), "explanation": _("解释说明"),
              "rectification": _("整改"), "settlement": _("和解"), "dispute": _("争议解决"),
              "determination": _("失信认定"), "sanction": _("惩戒"), "repair": _("信用修复"),
              "follow_up": _("回访"), "closed": _("已办结")}
    return labels.get(code or "", code or "")


def status_label(code: str | None) -> str:
    return {"open": _("办理中"), "closed": _("已办结")}.get(code or "", code or "")


def outcome_label(code: str | None) -> str:
    labels = {"not_accepted": _("不予受理"), "merged": _("并单处理"), "unfounded_explained": _("不属实，已解释说明"),
              "rectified": _("已整改"), "settled": _("已和解"), "refused": _("拒不整改"),
              "dispute_resolved": _("争议已解决"), "not_liable": _("不承担责任"),
              "breach_confirmed": _("已认定违约失信"), "breach_repaired": _("失信已修复"), "withdrawn": _("投诉人撤回")}
    return labels.get(code or "", code or "")


def channel_label(code: str | None) -> str:
    labels = {"credit_site_column": _("“信用蚌埠”网站投诉专栏"), "biz_env_platform": _("为企服务平台"),
              "internet_supervision": _("“互联网+督查”平台"), "hotline_12345": _("12345热线"),
              "sme_payment_platform": _("中小企业款项支付投诉平台"), "online_petition": _("网上信访"),
              "offline": _("线下窗口/来信")}
    return labels.get(code or "", code or "")


REGIONS = ("340300", "340302", "340303", "340304", "340311", "340321", "340322", "340323")


def region_label(code: str | None) -> str:
    labels = {"340300": _("蚌埠市本级"), "340302": _("龙子湖区"), "340303": _("蚌山区"), "340304": _("禹会区"),
              "340311": _("淮上区"), "340321": _("怀远县"), "340322": _("五河县"), "340323": _("固镇县")}
    return labels.get(code or "", code or "")


def urgency_label(code: str | None) -> str:
    return {"ok": _("正常"), "due_soon": _("即将到期"), "overdue": _("已逾期")}.get(code or "", code or "")


def complainant_kind_label(code: str | None) -> str:
    labels = {"sme": _("中小企业"), "individual_business": _("个体工商户"), "large_enterprise": _("大型企业"),
              "other": _("其他")}
    return labels.get(code or "", code or "")


def scope_area_label(code: str | None) -> str:
    labels = {"gov_procurement": _("政府采购"), "bidding": _("招标投标"), "investment_attraction": _("招商引资"),
              "ppp": _("政府与社会资本合作（PPP）"), "industrial_support": _("产业扶持"), "gov_investment": _("政府投资"),
              "other": _("其他协议、合同")}
    return labels.get(code or "", code or "")


def task_state_label(code: str | None) -> str:
    return {"completed": _("已办理"), "cancelled": _("已取消")}.get(code or "", code or "")


def timer_label(spec_id: str | None) -> str:
    """The boundary timers of the shipped models by their BPMN ids (their names in the diagram)."""
    labels = {"rectify_deadline_timer": _("整改期限届满"), "rectify_reminder_timer": _("整改催办（每2日）")}
    return labels.get(spec_id or "", spec_id or "")


def timer_kind_label(code: str | None) -> str:
    return {"date": _("到期日定时"), "duration": _("时长定时"), "cycle": _("循环提醒")}.get(code or "", code or "")


_RULE = re.compile(r"^\s*(\d+)\s+(workdays|days)\s*$")
_UNTIL = re.compile(r"^\s*until\s+([\w.]+)\s*$")


def due_rule_label(rule: str | None) -> str:
    """'10 workdays' -> 10 个工作日; '15 days' -> 15 日（自然日）; 'until rectify_deadline' -> 至整改期限."""
    if not rule:
        return ""
    if m := _RULE.match(rule):
        n = int(m.group(1))
        return _("%(n)s 个工作日", n=n) if m.group(2) == "workdays" else _("%(n)s 日（自然日，遇节假日顺延）", n=n)
    if m := _UNTIL.match(rule):
        variables = {"rectify_deadline": _("整改期限")}
        return _("至%(what)s", what=variables.get(m.group(1), m.group(1)))
    return rule


def days_left_label(days: int | None) -> str:
    if days is None:
        return ""
    if days > 0:
        return _("剩 %(n)s 个工作日", n=days)
    if days == 0:
        return _("今日到期")
    return _("逾期 %(n)s 个工作日", n=-days)


def escalation_label(kind: str | None) -> str:
    labels = {"notice_50": _("时限过半提醒"), "notice_80": _("时限 80% 预警"), "overdue": _("逾期"),
              "reminder": _("催办"), "supervision_order": _("督办"), "manual_reminder": _("人工催办"),
              "manual_supervision": _("人工督办")}
    return labels.get(kind or "", kind or "")


def signal_label(name: str | None) -> str:
    labels = {"breach_determined": _("违约失信认定已推送"), "credit_repaired": _("信用修复已推送"),
              "sanctions_proposed": _("惩戒措施建议已推送"), "case_closed": _("案件办结通知"),
              "rectification_reminder": _("整改催办提醒")}
    return labels.get(name or "", name or "")


def action_label(action: str | None, detail: dict | None = None) -> str:
    """One audit entry in words, e.g. 办理「受理审查」, 认领「核实投诉」, 催办."""
    detail = detail if isinstance(detail, dict) else {}
    action = action or ""
    name = task_name(detail.get("name")) if detail.get("name") else ""
    if action.startswith("event:"):
        return signal_label(action[6:])
    if action.startswith("escalation_reply:"):
        return _("回复%(kind)s", kind=escalation_label(action.split(":", 1)[1]))
    if action.startswith("escalation:"):
        return escalation_label(action.split(":", 1)[1])
    with_task = {"task_completed": _("办理「%(task)s」", task=name), "task_claimed": _("认领「%(task)s」", task=name),
                 "task_unclaimed": _("释放认领「%(task)s」", task=name)}
    if action in with_task and name:
        return with_task[action]
    labels = {"complaint_registered": _("登记投诉"), "process_started": _("启动办理流程"),
              "task_completed": _("办理任务"), "task_claimed": _("认领任务"), "task_unclaimed": _("释放认领"),
              "timer_fired": _("定时器到期"), "timer_failed": _("定时器执行失败"), "complaint_withdrawn": _("投诉人撤回投诉"),
              "case_reassigned": _("改派"), "case_migrated": _("迁移到新流程版本"),
              "extension_requested": _("申请延期"), "extension_approved": _("批准延期"),
              "extension_refused": _("不批准延期"), "clock_paused": _("计时暂停（等待投诉人）"),
              "clock_resumed": _("计时恢复"), "deadline_recomputed": _("按新日历重算期限"),
              "attachments_added": _("上传附件"), "note_added": _("添加内部备注"), "attention_cleared": _("解除关注标记"),
              "outbox_failed": _("推送失败")}
    return labels.get(action, action)


def task_name(name: str | None) -> str:
    """A user task's name from the model (Chinese in the shipped models), in the page language."""
    return _(name) if name else ""


def org_label(name: str | None) -> str:
    """An org's name from the directory, in the page language (English names are in orgs.po)."""
    return _(name) if name else ""


def role_name(code: str | None) -> str:
    labels = {"intake_officer": _("受理单位"), "handler": _("承办单位"), "supervisor": _("信用办"),
              "complainant": _("投诉人"), "process_owner": _("流程管理人员")}
    return labels.get(code or "", code or "")


def channel_choices() -> list[tuple[str, str]]:
    return [(c, channel_label(c)) for c in CHANNELS]


def stage_choices() -> list[tuple[str, str]]:
    return [(s, stage_label(s)) for s in STAGES]


def register_staff_labels(app: Flask) -> None:
    """The labels as template globals (registered once by the first staff blueprint)."""
    if app.jinja_env.globals.get("stage_label") is stage_label:
        return
    app.jinja_env.globals.update(
        stage_label=stage_label, status_label=status_label, outcome_label=outcome_label, channel_label=channel_label,
        region_label=region_label, urgency_label=urgency_label, complainant_kind_label=complainant_kind_label,
        scope_area_label=scope_area_label, task_state_label=task_state_label, timer_kind_label=timer_kind_label, timer_label=timer_label,
        due_rule_label=due_rule_label, days_left_label=days_left_label, action_label=action_label,
        task_name=task_name, org_label=org_label, role_name=role_name, escalation_label=escalation_label)
