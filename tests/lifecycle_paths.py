"""Lifecycle test paths for the complaint process (pure data; no imports).

Each path is walked from a fresh `breach_complaint` instance started with the initial data the
intake service derives from `SAMPLE_COMPLAINT` (merged with the path's `complaint` override).
Steps, in order:

* ``{'task': '<user task bpmn id>', 'data': {...}}`` - the one READY user task with that id is
  completed with `data` (valid against ``forms/<task id>.schema.json``);
* ``{'fire_timer': '<boundary timer bpmn id>'}`` - the waiting timer's due time is moved into the
  past and the engine is advanced (the timer fires once);
* ``{'withdraw': {'reason': '...'}}`` - the message ``complaint_withdrawn`` is delivered with
  this payload (it arrives in task data as ``withdrawal``).

After the last step the instance must be complete, with ``outcome`` equal to the path's
``outcome``.
"""

SAMPLE_COMPLAINT = {
    'complainant': {
        'kind': 'sme',
        'name': '怀远县禾丰农业科技有限公司',
        'uscc': '91340321MA2N8K3P3N',
        'legal_representative': '王建国',
        'contact_name': '李红',
        'contact_phone': '13812345678',
        'email': 'lihong@example.com',
        'address': '安徽省蚌埠市怀远县城关镇禹王路88号',
    },
    'respondent': {
        'org_code': 'HY-HOUSING',
        'name': '怀远县住房和城乡建设局',
    },
    'contract': {
        'title': '怀远县老旧小区改造工程（二期）施工合同',
        'contract_no': 'HYZJ-2023-017',
        'signed_on': '2023-04-18',
        'scope_area': 'gov_investment',
        'amount_total': '860000.00',
        'amount_claimed': '125000.00',
    },
    'facts': '我公司于2023年4月与怀远县住房和城乡建设局签订施工合同，工程已于2023年12月竣工验收合格。'
             '按合同约定，尾款125000元应于验收后60日内支付，至今未付，多次催告均以人员变动为由推诿。',
    'demands': '请求督促被投诉单位按合同约定支付工程尾款125000元及逾期利息。',
    'channel': 'credit_site_column',
    'declarations': {'truthful': True, 'consent_contact': True},
}

# ---------------------------------------------------------------- reusable steps
TRIAGE_ACCEPT = {'task': 'triage', 'data': {'intake_decision': 'accept', 'triage_note': '材料齐全，属于受理范围。'}}
RECEIVE_ACCEPT = {'task': 'receive_referral', 'data': {'referral_decision': 'accept'}}
ACCEPT_AND_REFER = [TRIAGE_ACCEPT, RECEIVE_ACCEPT]

VERIFY_UNSUBSTANTIATED = {'task': 'verify', 'data': {
    'verification_result': 'unsubstantiated',
    'verification_findings': '经查，工程尾款已于2024年1月支付至合同约定账户，有银行回单为证，投诉情况不属实。',
    'contact_record': '2025-03-03 电话联系投诉人李红，告知核实情况。',
}}
VERIFY_UNDISPUTED = {'task': 'verify', 'data': {
    'verification_result': 'substantiated_undisputed',
    'verification_findings': '经查，工程已竣工验收，尾款125000元确未支付，被投诉单位承认欠款事实。',
    'verified_amount': '125000.00',
    'contact_record': '2025-03-03 电话联系投诉人，双方对欠款金额无异议。',
}}
VERIFY_DISPUTED = {'task': 'verify', 'data': {
    'verification_result': 'substantiated_disputed',
    'verification_findings': '经查，尾款确未支付；被投诉单位认为工程存在质量问题应扣减部分款项，双方对金额有分歧。',
    'verified_amount': '125000.00',
}}
EXPLAIN = {'task': 'explain_to_complainant', 'data': {
    'explanation_method': 'phone',
    'explanation_content': '已电话告知投诉人：尾款已于2024年1月支付，并提供银行回单复印件。',
    'explained_on': '2025-03-05',
}}
CHOOSE_RECTIFICATION = {'task': 'choose_remedy', 'data': {
    'remedy': 'rectification', 'rectify_workdays': 20, 'remedy_note': '责令被投诉单位20个工作日内支付尾款。'}}
REPORT_DONE = {'task': 'report_rectification', 'data': {
    'rectification_report': '已于2025年3月20日支付工程尾款125000元，附银行回单。', 'rectification_done': True}}
REPORT_PROGRESS = {'task': 'report_rectification', 'data': {
    'rectification_report': '已列入本月资金支付计划，正在办理财政支付手续。', 'rectification_done': False}}
CONFIRM_RECTIFIED = {'task': 'confirm_rectification', 'data': {
    'rectification_confirmed': True, 'confirmation_comment': '款项已收到。'}}
CONFIRM_NOT_RECTIFIED = {'task': 'confirm_rectification', 'data': {
    'rectification_confirmed': False, 'confirmation_comment': '只收到10万元，尚欠25000元。'}}
FOLLOW_UP_SATISFIED = {'task': 'follow_up_visit', 'data': {'follow_up_satisfaction': 'satisfied'}}
FOLLOW_UP_BASICALLY = {'task': 'follow_up_visit', 'data': {
    'follow_up_satisfaction': 'basically_satisfied', 'follow_up_comment': '问题已解决，但办理时间较长。'}}
FOLLOW_UP_DISSATISFIED = {'task': 'follow_up_visit', 'data': {
    'follow_up_satisfaction': 'dissatisfied', 'follow_up_comment': '核实不全面，我公司并未收到尾款，银行回单账户不是我公司账户。'}}
DEADLINE_PASSED = {'fire_timer': 'rectify_deadline_timer'}
REMINDER_DUE = {'fire_timer': 'rectify_reminder_timer'}
SUPERVISE_EXTEND = {'task': 'supervise_overdue', 'data': {
    'supervision_decision': 'extend', 'extension_workdays': 5, 'supervision_note': '被投诉单位已启动支付程序，同意延期5个工作日。'}}
SUPERVISE_DETERMINE = {'task': 'supervise_overdue', 'data': {
    'supervision_decision': 'determine', 'supervision_note': '整改期限届满仍未支付，认定为拒不整改。'}}
DETERMINE = {'task': 'determine_breach', 'data': {
    'determination_doc_no': '怀信用认〔2025〕3号',
    'determination_facts': '怀远县住房和城乡建设局以人员变动为由拒不支付已验收工程尾款125000元，经督促仍拒不整改。',
    'breach_scope_area': 'gov_investment',
    'breach_amount': '125000.00',
}}
DECIDE_SANCTIONS = {'task': 'decide_sanctions', 'data': {
    'sanctions_decided': ['limit_central_budget_funds', 'revoke_awards_pilots', 'restrict_office_spending'],
    'sanction_note': '按规则建议实施。',
}}
APPLY_REPAIR = {'task': 'apply_credit_repair', 'data': {
    'repair_performance_evidence': '已全额支付工程尾款及逾期利息，投诉人出具收款确认书。',
    'repair_performed_on': '2025-05-10',
}}
REVIEW_APPROVE = {'task': 'review_credit_repair', 'data': {'repair_decision': 'approve', 'repair_review_note': '履约证明齐全。'}}
REVIEW_REJECT = {'task': 'review_credit_repair', 'data': {
    'repair_decision': 'reject', 'repair_review_note': '缺少投诉人收款确认，请补充。'}}
DETERMINATION_AND_REPAIR = [DETERMINE, DECIDE_SANCTIONS, APPLY_REPAIR, REVIEW_APPROVE]

PATHS: dict[str, dict] = {
    'not_accepted': {
        'description': '受理审查不予受理（不属于违约失信投诉范围），不回访，直接办结。',
        'complaint': {},
        'steps': [
            {'task': 'triage', 'data': {'intake_decision': 'not_accepted',
                                        'not_accepted_reason': '投诉事项为企业之间的合同纠纷，不属于政府部门违约失信投诉受理范围。'}},
        ],
        'outcome': 'not_accepted',
    },
    'merged': {
        'description': '重复投诉并入已有案件，不回访，直接办结。',
        'complaint': {},
        'steps': [
            {'task': 'triage', 'data': {'intake_decision': 'merged', 'merged_into_case_no': 'BB-2026-000001'}},
        ],
        'outcome': 'merged',
    },
    'supplement_then_accept_unfounded': {
        'description': '补正材料后受理；核实不属实，向投诉人解释说明，回访满意后办结。',
        'complaint': {},
        'steps': [
            {'task': 'triage', 'data': {'intake_decision': 'supplement_required',
                                        'supplement_request': '请补充竣工验收报告和催款函件。'}},
            {'task': 'supply_material', 'data': {'supplement_text': '已补充竣工验收报告及三次催款函。',
                                                 'supplement_files': ['竣工验收报告.pdf', '催款函.pdf']}},
            TRIAGE_ACCEPT, RECEIVE_ACCEPT, VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_SATISFIED,
        ],
        'outcome': 'unfounded_explained',
    },
    'misroute_return_then_unfounded': {
        'description': '承办单位以非本单位职责退回，受理单位改派；核实不属实，解释说明后办结。',
        'complaint': {},
        'steps': [
            TRIAGE_ACCEPT,
            {'task': 'receive_referral', 'data': {'referral_decision': 'return',
                                                  'return_reason': '该工程为市级统筹的老旧小区改造项目，应由市住房和城乡建设局（行业主管部门）核实。'}},
            {'task': 'reroute_referral', 'data': {'reroute_org': 'BB-HOUSING', 'reroute_note': '改派市住房和城乡建设局。'}},
            RECEIVE_ACCEPT, VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_BASICALLY,
        ],
        'outcome': 'unfounded_explained',
    },
    'rectified': {
        'description': '属实无分歧，限期整改并按期完成，投诉人确认，回访满意。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, REPORT_DONE, CONFIRM_RECTIFIED,
                                     FOLLOW_UP_SATISFIED],
        'outcome': 'rectified',
    },
    'rectification_progress_and_rejected_confirmation': {
        'description': '限期整改：催办一次（不中断整改任务），先阶段报告，报告完成后投诉人不认可，再次整改后确认。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, REMINDER_DUE, REPORT_PROGRESS, REPORT_DONE,
                                     CONFIRM_NOT_RECTIFIED, REPORT_DONE, CONFIRM_RECTIFIED, FOLLOW_UP_SATISFIED],
        'outcome': 'rectified',
    },
    'rectification_overdue_extended_then_rectified': {
        'description': '整改期限届满未完成，督办批准延期一次，延期内完成整改。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, DEADLINE_PASSED, SUPERVISE_EXTEND,
                                     REPORT_DONE, CONFIRM_RECTIFIED, FOLLOW_UP_SATISFIED],
        'outcome': 'rectified',
    },
    'rectification_overdue_determined_then_repaired': {
        'description': '整改期限届满未完成，督办认定为拒不整改；认定违约失信、惩戒，履约后信用修复。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, DEADLINE_PASSED, SUPERVISE_DETERMINE]
                 + DETERMINATION_AND_REPAIR + [FOLLOW_UP_SATISFIED],
        'outcome': 'breach_repaired',
    },
    'rectification_second_extension_refused': {
        'description': '延期后再次逾期，督办再选延期也不再延期（限一次），按拒不整改认定。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, DEADLINE_PASSED, SUPERVISE_EXTEND,
                                     DEADLINE_PASSED, SUPERVISE_EXTEND] + DETERMINATION_AND_REPAIR + [FOLLOW_UP_SATISFIED],
        'outcome': 'breach_repaired',
    },
    'settled': {
        'description': '属实无分歧，双方达成和解协议（第一次投诉人不确认，修改后确认）。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [
            VERIFY_UNDISPUTED,
            {'task': 'choose_remedy', 'data': {'remedy': 'settlement', 'remedy_note': '双方同意协商和解。'}},
            {'task': 'record_settlement', 'data': {'settlement_terms': '被投诉单位于2025年4月30日前一次性支付尾款10万元。',
                                                   'settlement_signed_on': '2025-03-15', 'settlement_amount': '100000.00'}},
            {'task': 'confirm_settlement', 'data': {'settlement_confirmed': False, 'settlement_comment': '金额不足，不同意。'}},
            {'task': 'choose_remedy', 'data': {'remedy': 'settlement'}},
            {'task': 'record_settlement', 'data': {'settlement_terms': '被投诉单位于2025年4月30日前一次性支付尾款125000元，免除逾期利息。',
                                                   'settlement_signed_on': '2025-03-20', 'settlement_amount': '125000.00'}},
            {'task': 'confirm_settlement', 'data': {'settlement_confirmed': True}},
            FOLLOW_UP_SATISFIED,
        ],
        'outcome': 'settled',
    },
    'refuse_determine_repair': {
        'description': '被投诉主体拒不整改，认定违约失信并惩戒；第一次信用修复申请被退回，补充后同意修复。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [
            VERIFY_UNDISPUTED,
            {'task': 'choose_remedy', 'data': {'remedy': 'refuse', 'remedy_note': '被投诉单位明确表示不予支付。'}},
            DETERMINE, DECIDE_SANCTIONS, APPLY_REPAIR, REVIEW_REJECT, APPLY_REPAIR, REVIEW_APPROVE, FOLLOW_UP_SATISFIED,
        ],
        'outcome': 'breach_repaired',
    },
    'dispute_negotiated': {
        'description': '属实有分歧，协商一致解决。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [
            VERIFY_DISPUTED,
            {'task': 'choose_dispute_route', 'data': {'dispute_route': 'negotiation', 'dispute_points': '质量扣款金额。'}},
            {'task': 'record_negotiation', 'data': {'negotiation_result': 'settled',
                                                    'negotiation_summary': '2025年3月18日三方协商，同意扣减质保金5000元后支付其余尾款。'}},
            FOLLOW_UP_SATISFIED,
        ],
        'outcome': 'dispute_resolved',
    },
    'dispute_legal_not_liable': {
        'description': '属实有分歧，直接通过诉讼解决，判决政府一方不承担违约责任。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [
            VERIFY_DISPUTED,
            {'task': 'choose_dispute_route', 'data': {'dispute_route': 'legal_proceedings'}},
            {'task': 'record_legal_outcome', 'data': {'legal_forum': 'litigation', 'legal_outcome': 'government_not_liable',
                                                      'legal_document_no': '（2025）皖0321民初1234号',
                                                      'legal_concluded_on': '2025-08-20'}},
            FOLLOW_UP_BASICALLY,
        ],
        'outcome': 'dispute_resolved',
    },
    'dispute_legal_liable_repaired': {
        'description': '属实有分歧，协商不成转仲裁，裁决政府一方担责；认定违约失信、惩戒、信用修复。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [
            VERIFY_DISPUTED,
            {'task': 'choose_dispute_route', 'data': {'dispute_route': 'negotiation'}},
            {'task': 'record_negotiation', 'data': {'negotiation_result': 'failed',
                                                    'negotiation_summary': '双方对质量扣款金额未能达成一致。'}},
            {'task': 'record_legal_outcome', 'data': {'legal_forum': 'arbitration', 'legal_outcome': 'government_liable',
                                                      'legal_document_no': '蚌仲裁字〔2025〕第56号'}},
        ] + DETERMINATION_AND_REPAIR + [FOLLOW_UP_SATISFIED],
        'outcome': 'breach_repaired',
    },
    'withdrawn_during_verification': {
        'description': '核实期间投诉人撤回投诉（核实任务在调用活动中，随撤回一并取消）。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [{'withdraw': {'reason': '双方已自行协商解决，申请撤回投诉。'}}],
        'outcome': 'withdrawn',
    },
    'withdrawn_during_rectification': {
        'description': '整改期间投诉人撤回投诉（整改任务及其期限、催办定时器一并取消）。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION,
                                     {'withdraw': {'reason': '已收到全部款项，申请撤回投诉。'}}],
        'outcome': 'withdrawn',
    },
    'reopen_after_dissatisfied_follow_up': {
        'description': '核实不属实并解释，回访不满意发回重办；重新核实属实，限期整改完成，回访基本满意。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_DISSATISFIED,
                                     VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, REPORT_DONE, CONFIRM_RECTIFIED,
                                     FOLLOW_UP_BASICALLY],
        'outcome': 'rectified',
    },
    'reopen_then_dissatisfied_again_closes': {
        'description': '发回重办一次后回访仍不满意：记录不满意并办结（不再发回）。',
        'complaint': {},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_DISSATISFIED,
                                     VERIFY_UNSUBSTANTIATED, EXPLAIN, FOLLOW_UP_DISSATISFIED],
        'outcome': 'unfounded_explained',
    },
    'public_institution_respondent': {
        'description': '被投诉主体为事业单位（按主管部门转办）：核实属实无分歧，限期整改完成。',
        'complaint': {'respondent': {'org_code': 'BB-PRTC', 'name': '蚌埠市公共资源交易中心'},
                      'contract': {'title': '蚌埠市公共资源交易平台运维服务合同', 'scope_area': 'gov_procurement',
                                   'amount_total': '380000.00', 'amount_claimed': '95000.00'}},
        'steps': ACCEPT_AND_REFER + [VERIFY_UNDISPUTED, CHOOSE_RECTIFICATION, REPORT_DONE, CONFIRM_RECTIFIED,
                                     FOLLOW_UP_SATISFIED],
        'outcome': 'rectified',
    },
}
