"""Words for the codes the staff pages show: stages, statuses, outcomes, channels, regions, audit
actions, timers and due rules. Every label is a Chinese source string in `_()` (English in
translations/en/staff.po); an unknown code is shown as it is, never hidden."""
from __future__ import annotations

import re

from flask import Flask
from flask_babel import gettext as _

from app.models.case import CHANNELS

def N_(text: str) -> str:
    """Marks a label for translation where it is defined; `_label` translates the one that is shown
    (a page of 50 rows would otherwise translate every table on every call)."""
    return text


def _label(labels: dict[str, str], code: str | None) -> str:
    text = labels.get(code or "")
    return _(text) if text else (code or "")


STAGES = ("intake", "referral", "verification", "explanation", "rectification", "settlement", "dispute",
          "determination", "sanction", "repair", "follow_up", "closed")


def stage_label(code: str | None) -> str:
    labels = {"intake": N_("受理"), "referral": N_("转办"), "verification": N_("核实"), "explanation": N_("解释说明"),
              "rectification": N_("整改"), "settlement": N_("和解"), "dispute": N_("争议解决"),
              "determination": N_("失信认定"), "sanction": N_("惩戒"), "repair": N_("信用修复"),
              "follow_up": N_("回访"), "closed": N_("已办结")}
    return _label(labels, code)


def status_label(code: str | None) -> str:
    return _label({"open": N_("办理中"), "closed": N_("已办结")}, code)


def outcome_label(code: str | None) -> str:
    labels = {"not_accepted": N_("不予受理"), "merged": N_("并单处理"), "unfounded_explained": N_("不属实，已解释说明"),
              "rectified": N_("已整改"), "settled": N_("已和解"), "refused": N_("拒不整改"),
              "dispute_resolved": N_("争议已解决"), "not_liable": N_("不承担责任"),
              "breach_confirmed": N_("已认定违约失信"), "breach_repaired": N_("失信已修复"), "withdrawn": N_("投诉人撤回")}
    return _label(labels, code)


def channel_label(code: str | None) -> str:
    labels = {"credit_site_column": N_("“信用蚌埠”网站投诉专栏"), "biz_env_platform": N_("为企服务平台"),
              "internet_supervision": N_("“互联网+督查”平台"), "hotline_12345": N_("12345热线"),
              "sme_payment_platform": N_("中小企业款项支付投诉平台"), "online_petition": N_("网上信访"),
              "offline": N_("线下窗口/来信")}
    return _label(labels, code)


REGIONS = ("340300", "340302", "340303", "340304", "340311", "340321", "340322", "340323")


def region_label(code: str | None) -> str:
    labels = {"340300": N_("蚌埠市本级"), "340302": N_("龙子湖区"), "340303": N_("蚌山区"), "340304": N_("禹会区"),
              "340311": N_("淮上区"), "340321": N_("怀远县"), "340322": N_("五河县"), "340323": N_("固镇县")}
    return _label(labels, code)


def urgency_label(code: str | None) -> str:
    return _label({"ok": N_("正常"), "due_soon": N_("即将到期"), "overdue": N_("已逾期")}, code)


def complainant_kind_label(code: str | None) -> str:
    labels = {"sme": N_("中小企业"), "individual_business": N_("个体工商户"), "large_enterprise": N_("大型企业"),
              "other": N_("其他")}
    return _label(labels, code)


def scope_area_label(code: str | None) -> str:
    labels = {"gov_procurement": N_("政府采购"), "bidding": N_("招标投标"), "investment_attraction": N_("招商引资"),
              "ppp": N_("政府与社会资本合作（PPP）"), "industrial_support": N_("产业扶持"), "gov_investment": N_("政府投资"),
              "other": N_("其他协议、合同")}
    return _label(labels, code)


def task_state_label(code: str | None) -> str:
    return _label({"completed": N_("已办理"), "cancelled": N_("已取消")}, code)


def timer_label(spec_id: str | None) -> str:
    """The boundary timers of the shipped models by their BPMN ids (their names in the diagram)."""
    labels = {"rectify_deadline_timer": N_("整改期限届满"), "rectify_reminder_timer": N_("整改催办（每2日）")}
    return _label(labels, spec_id)


def timer_kind_label(code: str | None) -> str:
    return _label({"date": N_("到期日定时"), "duration": N_("时长定时"), "cycle": N_("循环提醒")}, code)


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
    labels = {"notice_50": N_("时限过半提醒"), "notice_80": N_("时限 80% 预警"), "overdue": N_("逾期"),
              "reminder": N_("催办"), "supervision_order": N_("督办"), "manual_reminder": N_("人工催办"),
              "manual_supervision": N_("人工督办"), "supervision_blocked": N_("督办暂停（工作日历未覆盖）")}
    return _label(labels, kind)


def signal_label(name: str | None) -> str:
    labels = {"breach_determined": N_("违约失信认定已推送"), "credit_repaired": N_("信用修复已推送"),
              "sanctions_proposed": N_("惩戒措施建议已推送"), "case_closed": N_("案件办结通知"),
              "rectification_reminder": N_("整改催办提醒")}
    return _label(labels, name)


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
    if name and action == "task_completed":
        return _("办理「%(task)s」", task=name)
    if name and action == "task_claimed":
        return _("认领「%(task)s」", task=name)
    if name and action == "task_unclaimed":
        return _("释放认领「%(task)s」", task=name)
    labels = {"complaint_registered": N_("登记投诉"), "process_started": N_("启动办理流程"),
              "task_completed": N_("办理任务"), "task_claimed": N_("认领任务"), "task_unclaimed": N_("释放认领"),
              "timer_fired": N_("定时器到期"), "timer_failed": N_("定时器执行失败"), "complaint_withdrawn": N_("投诉人撤回投诉"),
              "case_reassigned": N_("改派"), "case_migrated": N_("迁移到新流程版本"),
              "extension_requested": N_("申请延期"), "extension_approved": N_("批准延期"),
              "extension_refused": N_("不批准延期"), "clock_paused": N_("计时暂停（等待投诉人）"),
              "clock_resumed": N_("计时恢复"), "deadline_recomputed": N_("按新日历重算期限"),
              "attachments_added": N_("上传附件"), "note_added": N_("添加内部备注"), "attention_cleared": N_("解除关注标记"),
              "outbox_failed": N_("推送失败")}
    return _label(labels, action)


def task_name(name: str | None) -> str:
    """A user task's name from the model (Chinese in the shipped models), in the page language."""
    return _(name) if name else ""


def org_label(name: str | None) -> str:
    """An org's name from the directory, in the page language (English names are in orgs.po)."""
    return _(name) if name else ""


def role_name(code: str | None) -> str:
    labels = {"intake_officer": N_("受理单位"), "handler": N_("承办单位"), "supervisor": N_("信用办"),
              "complainant": N_("投诉人"), "process_owner": N_("流程管理人员")}
    return _label(labels, code)


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
