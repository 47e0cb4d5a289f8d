"""Why a running case cannot move to another version, in the page language.

`case_migration` reports each refusal as the engine's English sentence (`model_diff`'s policy,
a failed trial move, or the batch's own checks: not on the version any more, not running). The
process owner reads it here as a plain sentence naming the task; the original text stays
available as the technical detail. A sentence we do not recognise is never hidden: it is shown
under a general explanation."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from app.web.staff_labels import N_, task_name

_QUOTED = r"""['"](?P<id>[^'"]+)['"](?: \((?P<name>[^)]*)\))?"""
_SUBPROCESS = re.compile(r"""^the running subprocess ['"](?P<name>.+)['"] does not exist in the new version$""")
_GONE = re.compile(rf"^the (?P<what>finished|active) task {_QUOTED} \((?P<state>[A-Z_]+)\) "
                   r"does not exist in the new version$")
_CHANGED = re.compile(rf"^the (?P<state>\w+) task {_QUOTED} changed in (?P<attrs>.+?); a finished task may only")
_NO_COUNTERPART = re.compile(rf"^cannot move this case: the (?P<state>\w+) task {_QUOTED} "
                             r"has no counterpart in the new version$")
_TRIAL = re.compile(r"^cannot move this case: (?P<error>.+)$", re.S)
_NOT_ON_VERSION = re.compile(r"^instance \d+ is not on version (?P<version>\d+)$")
_NOT_RUNNING = re.compile(r"^instance \d+ is not running$")
_NOT_FOUND = re.compile(r"^instance \d+ not found$")
_UNEXPECTED = re.compile(r"^unexpected error, nothing was changed for this case")

_STATES = {"completed": N_("已办理完毕"), "started": N_("已开始办理"), "ready": N_("待办理"), "waiting": N_("等待中"),
           "error": N_("出错"), "cancelled": N_("已取消")}

# what a model element's attribute means to a process owner (model_diff / SpiffWorkflow names)
_ATTRIBUTES = {
    "bpmn_name": N_("名称"), "documentation": N_("文档说明"), "extensions.instructionsForEndUser": N_("办理指引"),
    "extensions.properties.dueRule": N_("办理时限规则"), "extensions.properties.formJsonSchemaFilename": N_("表单"),
    "extensions.properties.formUiSchemaFilename": N_("表单界面设置"), "extensions.properties.stage": N_("所属环节"),
    "extensions.properties.clockStop": N_("暂停计时设置"), "extensions.properties.assigneeOrg": N_("办理单位变量"),
    "extensions.preScript": N_("前置脚本"), "extensions.postScript": N_("后置脚本"), "prescript": N_("前置脚本"),
    "postscript": N_("后置脚本"), "script": N_("脚本"), "lane": N_("办理角色（泳道）"), "typename": N_("元素类型"),
    "event_definition": N_("事件定义（如定时器表达式）"), "cancel_activity": N_("是否中断所附任务"),
    "condition": N_("条件"), "cond_task_specs": N_("分支条件"), "default_task_spec": N_("默认分支"),
    "spec": N_("调用的子流程"), "io_specification": N_("输入输出定义"),
    "data_input_associations": N_("数据输入"), "data_output_associations": N_("数据输出"),
    "inputs": N_("连线"), "outputs": N_("连线"), "decision_ref": N_("决策表"),
}


@dataclass(frozen=True)
class Reason:
    text: str  # the sentence for people, in the page language
    detail: str  # the engine's own words (technical detail); "" when the sentence says it all
    element_id: str = ""


def attribute_label(attribute: str) -> str:
    """'extensions.properties.dueRule' -> 办理时限规则; an unknown one is named as it is."""
    label = _ATTRIBUTES.get(attribute)
    if label:
        return _(label)
    if attribute.startswith("extensions.properties."):
        return _("属性「%(name)s」", name=attribute.rsplit(".", 1)[1])
    return attribute


def _task(match: re.Match) -> str:
    name = match.group("name")
    return _("「%(name)s」（%(id)s）", name=task_name(name), id=match.group("id")) if name else match.group("id")


def _state(code: str) -> str:
    label = _STATES.get(code.lower())
    return _(label) if label else code.lower()


def explain(reason: str, element_id: str = "") -> Reason:
    """The refusal `reason` (English, from case_migration) as a sentence for the page."""
    reason = (reason or "").strip()
    if not reason:
        return Reason(_("不能迁移（未给出原因）。"), "", element_id)
    if m := _SUBPROCESS.match(reason):
        return Reason(_("案件正在办理的子流程「%(name)s」在新版本中已不存在，迁移后将无处继续办理。", name=m.group("name")),
                      reason, element_id or m.group("name"))
    if m := _GONE.match(reason):
        if m.group("what") == "finished":
            text = _("案件已办理过的环节%(task)s在新版本中被删除，迁移后将丢失办理记录的依据。", task=_task(m))
        else:
            text = _("案件当前%(state)s的环节%(task)s在新版本中被删除，迁移后这项工作及其期限会消失。",
                     state=_state(m.group("state")), task=_task(m))
        return Reason(text, reason, element_id or m.group("id"))
    if m := _CHANGED.match(reason):
        attrs = _("、").join(dict.fromkeys(attribute_label(a.strip()) for a in m.group("attrs").split(",")))
        text = _("案件%(state)s的环节%(task)s在新版本中修改了%(what)s；已办理过的环节只允许修改名称、说明、办理指引或连线。",
                 state=_state(m.group("state")), task=_task(m), what=attrs)
        return Reason(text, reason, element_id or m.group("id"))
    if m := _NO_COUNTERPART.match(reason):
        return Reason(_("案件%(state)s的环节%(task)s在新版本中找不到对应的环节。", state=_state(m.group("state")),
                        task=_task(m)), reason, element_id or m.group("id"))
    if m := _NOT_ON_VERSION.match(reason):
        return Reason(_("案件已不在版本 %(version)s 上（可能已被他人迁移），本次未作改动。", version=m.group("version")),
                      reason, element_id)
    if _NOT_RUNNING.match(reason):
        return Reason(_("案件已办结或已终止，不再需要迁移，本次未作改动。"), reason, element_id)
    if _NOT_FOUND.match(reason):
        return Reason(_("找不到该案件的办理流程，本次未作改动。"), reason, element_id)
    if _UNEXPECTED.match(reason):
        return Reason(_("迁移该案件时发生意外错误，该案件未作任何改动，其他案件不受影响。"), reason, element_id)
    if m := _TRIAL.match(reason):
        return Reason(_("在副本上试迁移时流程引擎报错（可能是新版本的定时器或脚本不适用于该案件的数据），该案件不能迁移。"),
                      m.group("error"), element_id)
    return Reason(_("流程引擎拒绝迁移该案件（原因见技术信息）。"), reason, element_id)
