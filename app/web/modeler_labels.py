"""Words the modeler and the version diff show: the script's texts (passed as data-labels), the
lint's problem codes, element kinds and changed attributes. Chinese source strings marked with
N_() where they are defined and translated when a page is built (English in modeler.po)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.web.staff_labels import N_

PROBLEM_CODES = {
    "no-form": N_("未设置表单"), "unknown-form": N_("表单不存在"), "unknown-ui": N_("界面提示文件不存在"),
    "unknown-role": N_("泳道不是已知角色"), "due-rule": N_("办理时限写法有误"), "no-due-rule": N_("未设置办理时限"),
    "script": N_("脚本被拒绝"), "condition": N_("条件表达式有误"), "timer": N_("定时表达式有误"),
    "dmn-expression": N_("决策表达式有误"), "unknown-function": N_("调用了未知函数"),
    "no-condition": N_("流向缺少条件"), "no-default": N_("网关缺少默认流向"),
    "event-subprocess": N_("不支持事件子流程"), "unknown-decision": N_("决策不存在"),
    "field-shadows-helper": N_("表单字段与函数重名"), "call-target": N_("调用的流程不存在"),
    "unreachable": N_("元素无法到达"), "bpmn": N_("BPMN 解析错误"), "schema": N_("不符合 BPMN 规范"),
    "no-process": N_("没有可执行流程"), "form-json": N_("表单不是有效的 JSON"),
    "form-unsupported": N_("表单含不支持的写法"), "empty": N_("文件为空"), "size": N_("文件过大"),
    "file-name": N_("文件名不合规"), "file-type": N_("文件类型不支持"), "encoding": N_("文件编码有误"),
    "xml": N_("XML 格式错误"), "deploy": N_("发布失败"), "invalid": N_("模型有误"),
}

ELEMENT_TYPES = {
    "bpmn:UserTask": N_("用户任务"), "bpmn:ScriptTask": N_("脚本任务"), "bpmn:BusinessRuleTask": N_("业务规则任务"),
    "bpmn:ServiceTask": N_("服务任务"), "bpmn:ManualTask": N_("人工任务"), "bpmn:SendTask": N_("发送任务"),
    "bpmn:ReceiveTask": N_("接收任务"), "bpmn:CallActivity": N_("调用活动"), "bpmn:SubProcess": N_("子流程"),
    "bpmn:Task": N_("任务"), "bpmn:StartEvent": N_("开始事件"), "bpmn:StartEvent:timer": N_("定时开始事件"),
    "bpmn:EndEvent": N_("结束事件"), "bpmn:BoundaryEvent": N_("边界事件"), "bpmn:BoundaryEvent:timer": N_("边界定时事件"),
    "bpmn:IntermediateCatchEvent": N_("中间捕获事件"), "bpmn:IntermediateCatchEvent:timer": N_("中间定时事件"),
    "bpmn:IntermediateThrowEvent": N_("中间抛出事件"), "bpmn:ExclusiveGateway": N_("排他网关"),
    "bpmn:ParallelGateway": N_("并行网关"), "bpmn:InclusiveGateway": N_("包容网关"),
    "bpmn:EventBasedGateway": N_("事件网关"), "bpmn:SequenceFlow": N_("顺序流"), "bpmn:Lane": N_("泳道"),
    "bpmn:Participant": N_("池（参与者）"), "bpmn:Process": N_("流程"), "bpmn:Collaboration": N_("协作"),
    "bpmn:TextAnnotation": N_("文本注释"), "bpmn:DataObjectReference": N_("数据对象"),
    "bpmn:DataStoreReference": N_("数据存储"), "bpmn:Group": N_("分组"), "bpmn:Association": N_("关联"),
    "bpmn:MessageFlow": N_("消息流"),
}

# SpiffWorkflow spec types named by model_diff (ElementDiff.kind)
SPEC_KINDS = {
    "UserTask": N_("用户任务"), "ScriptTask": N_("脚本任务"), "BusinessRuleTask": N_("业务规则任务"),
    "CallActivity": N_("调用活动"), "SubWorkflowTask": N_("子流程"), "TransactionSubprocess": N_("子流程"),
    "NoneTask": N_("任务"), "ManualTask": N_("人工任务"), "ServiceTask": N_("服务任务"),
    "StartEvent": N_("开始事件"), "EndEvent": N_("结束事件"), "BoundaryEvent": N_("边界事件"),
    "IntermediateCatchEvent": N_("中间捕获事件"), "IntermediateThrowEvent": N_("中间抛出事件"),
    "SendTask": N_("发送任务"), "ReceiveTask": N_("接收任务"),
    "ExclusiveGateway": N_("排他网关"), "ParallelGateway": N_("并行网关"), "InclusiveGateway": N_("包容网关"),
    "EventBasedGateway": N_("事件网关"),
}

ATTRIBUTES = {
    "bpmn_name": N_("名称"), "documentation": N_("说明文档"), "lane": N_("泳道（角色）"),
    "inputs": N_("流入连线"), "outputs": N_("流出连线"), "script": N_("脚本"), "cond_task_specs": N_("条件"),
    "default_task_spec": N_("默认流向"), "event_definition": N_("事件定义（定时、消息）"),
    "prescript": N_("前置脚本"), "postscript": N_("后置脚本"), "decision_ref": N_("调用的决策"),
    "spec": N_("调用的流程"), "cancel_activity": N_("是否中断"), "typename": N_("元素类型"),
    "extensions.instructionsForEndUser": N_("办理说明"), "extensions.calledDecisionId": N_("调用的决策"),
    "extensions.preScript": N_("前置脚本"), "extensions.postScript": N_("后置脚本"),
    "extensions.properties.dueRule": N_("办理时限"), "extensions.properties.formJsonSchemaFilename": N_("表单"),
    "extensions.properties.formUiSchemaFilename": N_("界面提示文件"), "extensions.properties.stage": N_("阶段"),
    "extensions.properties.assigneeOrg": N_("办理单位变量"), "extensions.properties.clockStop": N_("暂停计时"),
}


def _translated(table: dict[str, str]) -> dict[str, str]:
    return {code: _(text) for code, text in table.items()}


def problem_code_labels() -> dict[str, str]:
    return _translated(PROBLEM_CODES)


def spec_kind_label(kind: str) -> str:
    text = SPEC_KINDS.get(kind)
    return _(text) if text else kind


def attribute_label(name: str) -> str:
    text = ATTRIBUTES.get(name)
    return _(text) if text else name


def modeler_labels() -> dict:
    """Everything the modeler script shows, in the page language ({n}, {name}… are filled in by it)."""
    return {
        "codes": problem_code_labels(),
        "types": _translated(ELEMENT_TYPES),
        "loading": _("正在加载流程模型…"),
        "load_error": _("流程模型加载失败，请刷新页面重试。"),
        "import_error": _("无法打开 {file}："),
        "request_failed": _("请求失败（HTTP {status}），请稍后重试。"),
        "signed_out": _("登录已失效：请在新窗口中重新登录，再回到本页保存（本页的修改仍在）。"),
        "validating": _("正在校验…"),
        "valid": _("校验通过，没有发现问题。"),
        "problems_found": _("发现 {n} 个问题，见下方列表和图中的红色标记。"),
        "saving": _("正在保存草稿…"),
        "saved": _("草稿已保存，没有发现问题。"),
        "saved_with_problems": _("草稿已保存；发现 {n} 个问题，修正后才能发布。"),
        "deploy_blocked": _("模型还有 {n} 个问题，修正后才能发布。"),
        "deploy_refused": _("发布被拒绝：模型有问题，见问题列表。"),
        "change_note_required": _("请填写变更说明。"),
        "deployed": _("已发布为版本 {version}。新案件将按此版本办理，运行中的案件仍按原版本办理。"),
        "unchanged": _("模型没有变化，仍为版本 {version}。"),
        "discarded": _("草稿已放弃，已恢复为最新发布的版本。"),
        "problems_none": _("没有发现问题。"),
        "problems_not_checked": _("尚未校验。点击“校验”检查模型。"),
        "problems_on": _("{name} 的问题"),
        "show_element": _("在图中显示"),
        "form_edit": _("编辑表单"),
        "nothing_selected": _("在图中选择一个元素，即可在此编辑它的属性。"),
        "process": _("流程"),
        "process_id": _("流程编号"),
        "main_process": _("主流程"),
        "yes": _("是"),
        "name": _("名称"),
        "documentation": _("说明文档"),
        "documentation_help": _("对元素的说明（依据、口径），不影响办理。"),
        "handling": _("办理设置"),
        "role": _("办理角色（所在泳道）"),
        "role_none": _("不在任何泳道中：只有流程管理人员可以办理。"),
        "role_help": _("把任务拖到另一条泳道即可更换办理角色。"),
        "form": _("表单文件"),
        "form_help": _("从草稿中的表单选择（*.schema.json）。"),
        "form_missing": _("草稿中没有这个表单文件。"),
        "ui_form": _("界面提示文件："),
        "due_rule": _("办理时限"),
        "due_rule_help": _("写法：10 workdays（工作日）、15 days（自然日）、until rectify_deadline（至变量中的日期）。"),
        "sample_start": _("示例开始时间"),
        "sample_value": _("示例值 {name}"),
        "due_at": _("示例到期时间："),
        "first_due": _("示例首次触发："),
        "repeats_forever": _("循环不限次数"),
        "repeats_n": _("共重复 {n} 次"),
        "stage": _("阶段"),
        "stage_none": _("（不设置）"),
        "instructions": _("办理说明"),
        "instructions_help": _("显示在任务页面上；可引用案件数据，如 {{ case_no }}。"),
        "scripts": _("前置与后置脚本"),
        "pre_script": _("前置脚本（任务开始前运行）"),
        "post_script": _("后置脚本（任务完成后运行）"),
        "script_task": _("脚本任务"),
        "script": _("脚本内容"),
        "script_help": _("受限的 Python：不能 import，不能使用以下划线开头的名称；校验时会显示编译器拒绝的原因。"),
        "business_rule": _("业务规则任务"),
        "decision": _("调用的决策"),
        "decision_none": _("（未选择）"),
        "decision_help": _("草稿中 DMN 文件里的决策；决策表在 DMN 标签页中编辑。"),
        "call_activity": _("调用活动"),
        "called_process": _("调用的流程"),
        "process_none": _("（未选择）"),
        "open_called": _("打开该流程"),
        "sequence_flow": _("顺序流"),
        "is_default": _("网关的默认流向（其他条件都不满足时走这里，无需条件）"),
        "condition": _("条件表达式"),
        "condition_help": _("Python 表达式，如 verification_result == \"unfounded\"。"),
        "gateway": _("网关"),
        "default_flow": _("默认流向"),
        "default_none": _("（无默认流向）"),
        "default_help": _("有多条流出连线的排他网关必须指定默认流向。"),
        "lane": _("泳道"),
        "lane_role": _("角色"),
        "lane_help": _("泳道中的任务由该角色办理。"),
        "timer": _("定时"),
        "timer_kind": _("定时类型"),
        "timeDate": _("到期日期（timeDate）"),
        "timeDuration": _("时长（timeDuration）"),
        "timeCycle": _("循环（timeCycle）"),
        "timer_expression": _("定时表达式"),
        "timer_help": _("Python 表达式，结果为 ISO 文本，如 rectify_deadline、\"P1D\"、\"R/P2D\"。"),
        "message": _("消息"),
        "message_name": _("消息名称"),
        "message_variable": _("消息变量"),
        "other_properties": _("其他属性"),
        "dmn_unreadable": _("无法读取此 DMN 文件（XML 格式错误）。"),
        "dmn_no_table": _("此决策没有决策表。"),
        "dmn_hit_policy": _("命中策略："),
        "dmn_help": _("单元格是 Python 表达式，用 ? 代表输入值，如 ? in (\"agency\", \"government\")；- 表示任意值。"),
        "dmn_input": _("输入"),
        "dmn_output": _("输出"),
        "dmn_description": _("说明"),
        "dmn_add_rule": _("添加规则"),
        "dmn_remove_rule": _("删除规则"),
    }


def diff_labels() -> dict:
    return {"load_error": _("版本对比加载失败，请刷新页面重试。")}
