"""The data the case generator (generate_cases.py) draws from: channels and their accepting units,
respondents and the org that verifies complaints against them (the shipped routing DMN), the user
tasks of the lifecycle with their lanes, stages and due rules, the steps completed before each
task, closed-case paths, and words for enterprise names and contract titles (GLOSSARY)."""
from __future__ import annotations

CHANNELS = {  # channel: (weight, accepting unit; None = the respondent region's credit office)
    "credit_site_column": (30, None), "biz_env_platform": (10, "BB-BIZENV"), "internet_supervision": (8, "BB-CREDIT"),
    "hotline_12345": (25, "BB-12345"), "sme_payment_platform": (12, "BB-MIIT"), "online_petition": (5, "BB-PETITION"),
    "offline": (10, "BB-JUSTICE"),
}
# respondent org: (weight, verifying org); the DMN routing of the shipped model
RESPONDENTS = {
    "BB-FIN": (5, "BB-GOV"), "BB-HOUSING": (6, "BB-GOV"), "BB-INVEST": (4, "BB-GOV"), "BB-TRANSPORT": (4, "BB-GOV"),
    "BB-WATER": (3, "BB-GOV"), "BB-AGRI": (3, "BB-GOV"), "BB-EDU": (3, "BB-GOV"), "BB-HEALTH": (3, "BB-GOV"),
    "BB-URBAN": (3, "BB-GOV"), "BB-HTZ": (3, "BB-GOV"), "BB-EDZ": (2, "BB-GOV"), "HY-GOV": (1, "BB-GOV"),
    "BB-PRTC": (10, "BB-DATA"),
    "HY-FIN": (4, "HY-GOV"), "HY-HOUSING": (8, "HY-GOV"), "HY-SAMR": (3, "HY-GOV"), "HY-TRANSPORT": (3, "HY-GOV"),
    "HY-WATER": (3, "HY-GOV"), "HY-INVEST": (3, "HY-GOV"), "HY-TOWN-TANGJI": (3, "HY-GOV"),
    "HY-TOWN-WEIZHUANG": (3, "HY-GOV"),
    "WH-HOUSING": (10, "WH-GOV"),
}
REROUTED_TO_CITY_HOUSING = ("HY-HOUSING", "WH-HOUSING")  # after a 退回, some of these go to 市住建局
# user task: (weight among open cases, lane, stage, due rule, process id, name)
TASKS = {
    "triage": (6, "intake_officer", "intake", "1 workdays", "complaint_intake", "受理审查"),
    "supply_material": (2, "complainant", "intake", "15 days", "complaint_intake", "补正材料"),
    "receive_referral": (8, "handler", "referral", "2 workdays", "complaint_referral", "签收转办"),
    "reroute_referral": (1, "intake_officer", "referral", "1 workdays", "complaint_referral", "改派承办单位"),
    "verify": (28, "handler", "verification", "10 workdays", "complaint_verification", "核实投诉"),
    "explain_to_complainant": (5, "handler", "explanation", "5 workdays", "breach_complaint", "向投诉人解释说明"),
    "choose_remedy": (6, "handler", "rectification", "5 workdays", "complaint_rectification", "确定处置方式"),
    "report_rectification": (12, "handler", "rectification", "until rectify_deadline", "complaint_rectification",
                             "报告整改情况"),
    "supervise_overdue": (2, "supervisor", "rectification", "3 workdays", "complaint_rectification", "逾期督办"),
    "confirm_rectification": (3, "complainant", "rectification", "10 days", "complaint_rectification", "确认整改结果"),
    "record_settlement": (3, "handler", "settlement", "20 workdays", "complaint_rectification", "登记和解协议"),
    "confirm_settlement": (1, "complainant", "settlement", "10 days", "complaint_rectification", "确认和解协议"),
    "choose_dispute_route": (2, "handler", "dispute", "5 workdays", "dispute_resolution", "选择解决途径"),
    "record_negotiation": (2, "handler", "dispute", "30 workdays", "dispute_resolution", "登记协商结果"),
    "record_legal_outcome": (1, "handler", "dispute", "180 days", "dispute_resolution", "登记法律程序结果"),
    "determine_breach": (2, "handler", "determination", "5 workdays", "breach_determination", "认定违约失信"),
    "decide_sanctions": (1, "supervisor", "sanction", "5 workdays", "breach_determination", "确定惩戒措施"),
    "apply_credit_repair": (1, "handler", "repair", "90 days", "breach_determination", "申请信用修复"),
    "review_credit_repair": (1, "supervisor", "repair", "5 workdays", "breach_determination", "审核信用修复"),
    "follow_up_visit": (3, "complainant", "follow_up", "15 days", "breach_complaint", "回访评价"),
}
# the completed steps before each task (task, submitted data)
_T, _R = ("triage", {"intake_decision": "accept"}), ("receive_referral", {"referral_decision": "accept"})
_V_UNDISPUTED = ("verify", {"verification_result": "substantiated_undisputed", "verification_findings": "经查属实，双方无异议。"})
_V_DISPUTED = ("verify", {"verification_result": "substantiated_disputed", "verification_findings": "经查属实，金额有分歧。"})
_V_UNFOUNDED = ("verify", {"verification_result": "unsubstantiated", "verification_findings": "经查，投诉情况不属实。"})
_RECTIFY = ("choose_remedy", {"remedy": "rectification", "rectify_workdays": 20})
_SETTLE = ("choose_remedy", {"remedy": "settlement"})
_DISPUTE = ("choose_dispute_route", {"dispute_route": "negotiation"})
_DETERMINE = ("supervise_overdue", {"supervision_decision": "determine"})
_BREACH = [("determine_breach", {"determination_doc_no": "蚌信用认〔2026〕1号"}),
           ("decide_sanctions", {"sanctions_decided": ["limit_central_budget_funds"]})]
HISTORY = {
    "triage": [], "supply_material": [("triage", {"intake_decision": "supplement_required"})],
    "receive_referral": [_T], "reroute_referral": [_T, ("receive_referral", {"referral_decision": "return"})],
    "verify": [_T, _R], "explain_to_complainant": [_T, _R, _V_UNFOUNDED], "choose_remedy": [_T, _R, _V_UNDISPUTED],
    "report_rectification": [_T, _R, _V_UNDISPUTED, _RECTIFY],
    "supervise_overdue": [_T, _R, _V_UNDISPUTED, _RECTIFY],
    "confirm_rectification": [_T, _R, _V_UNDISPUTED, _RECTIFY, ("report_rectification", {"rectification_done": True})],
    "record_settlement": [_T, _R, _V_UNDISPUTED, _SETTLE],
    "confirm_settlement": [_T, _R, _V_UNDISPUTED, _SETTLE, ("record_settlement", {"settlement_amount": "100000.00"})],
    "choose_dispute_route": [_T, _R, _V_DISPUTED], "record_negotiation": [_T, _R, _V_DISPUTED, _DISPUTE],
    "record_legal_outcome": [_T, _R, _V_DISPUTED, ("choose_dispute_route", {"dispute_route": "legal"})],
    "determine_breach": [_T, _R, _V_UNDISPUTED, _RECTIFY, _DETERMINE],
    "decide_sanctions": [_T, _R, _V_UNDISPUTED, _RECTIFY, _DETERMINE, _BREACH[0]],
    "apply_credit_repair": [_T, _R, _V_UNDISPUTED, _RECTIFY, _DETERMINE] + _BREACH,
    "review_credit_repair": [_T, _R, _V_UNDISPUTED, _RECTIFY, _DETERMINE] + _BREACH
    + [("apply_credit_repair", {"repair_performed_on": "2026-10-10"})],
    "follow_up_visit": [_T, _R, _V_UNFOUNDED, ("explain_to_complainant", {"explanation_method": "phone"})],
}
CLOSED_PATHS = [  # (weight, outcome, steps)
    (3, "not_accepted", [("triage", {"intake_decision": "not_accepted", "not_accepted_reason": "不属于受理范围。"})]),
    (4, "unfounded_explained", HISTORY["follow_up_visit"] + [("follow_up_visit", {"follow_up_satisfaction": "satisfied"})]),
    (5, "rectified", HISTORY["confirm_rectification"] + [("confirm_rectification", {"rectification_confirmed": True}),
                                                        ("follow_up_visit", {"follow_up_satisfaction": "satisfied"})]),
    (2, "settled", HISTORY["confirm_settlement"] + [("confirm_settlement", {"settlement_confirmed": True}),
                                                   ("follow_up_visit", {"follow_up_satisfaction": "basically_satisfied"})]),
]
TASK_LANE = {spec: v[1] for spec, v in TASKS.items()}
TASK_NAME = {spec: v[5] for spec, v in TASKS.items()}

PLACES = ["蚌埠市", "怀远县", "五河县", "固镇县", "蚌埠高新区", "淮上区", "禹会区", "龙子湖区"]
WORDS = ["禾丰", "恒信", "华源", "金桥", "顺达", "瑞祥", "宏远", "鑫盛", "博创", "新锐", "中科", "天润", "汇通", "永泰",
         "晨光", "嘉禾", "绿源", "大通", "盛世", "安康", "兴业", "东方", "银河", "正和", "德胜", "长青", "佳美", "润泽",
         "同创", "海川"]
TRADES = ["农业科技", "建材", "建筑工程", "软件", "物流", "餐饮管理", "环保科技", "医疗器械", "电子科技", "市政工程",
          "园林绿化", "信息技术", "机械制造", "食品", "装饰工程", "新能源", "文化传媒", "劳务", "印刷", "教育科技"]
PROJECTS = ["老旧小区改造工程", "道路硬化工程", "政务云平台运维服务", "污水处理厂提标改造", "学校食堂食材配送",
            "智慧城市一期", "产业园标准化厂房", "农田水利灌溉", "医院信息化系统", "城区供水管网改造", "公交场站建设",
            "河道综合治理", "乡村道路养护", "办公设备采购", "绿化养护服务", "招商引资项目扶持"]
SCOPES = ["gov_procurement", "bidding", "investment_attraction", "ppp", "industrial_support", "gov_investment"]
CONTRACT_KINDS = {"gov_procurement": "采购合同", "bidding": "施工合同", "investment_attraction": "投资协议",
                  "ppp": "PPP项目合同", "industrial_support": "扶持协议", "gov_investment": "施工合同"}

TEMPLATE_COMPLAINT = {
    "complainant": {"kind": "sme", "name": "怀远县禾丰农业科技有限公司", "uscc": "91340321MA2N8K3P3N",
                    "legal_representative": "王建国", "contact_name": "李红", "contact_phone": "13812345678",
                    "address": "安徽省蚌埠市怀远县城关镇禹王路88号"},
    "respondent": {"org_code": "HY-HOUSING", "name": "怀远县住房和城乡建设局"},
    "contract": {"title": "怀远县老旧小区改造工程（二期）施工合同", "contract_no": "HYZJ-2023-017", "signed_on": "2023-04-18",
                 "scope_area": "gov_investment", "amount_total": "860000.00", "amount_claimed": "125000.00"},
    "facts": "工程已于2023年12月竣工验收合格，尾款125000元应于验收后60日内支付，至今未付。",
    "demands": "请求督促被投诉单位支付工程尾款及逾期利息。",
    "channel": "credit_site_column",
    "declarations": {"truthful": True, "consent_contact": True},
}
