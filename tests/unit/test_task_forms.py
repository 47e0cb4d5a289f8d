"""JSON-Schema task forms: loading to FieldSpecs, renderer support check, coercion, validation."""
import copy
import json
from pathlib import Path

import pytest

from app.errors import InvalidSubmission
from app.task_forms import FORM_ERROR_KEY, check_supported, coerce, collect_errors, load_form, validate

FORMS = Path(__file__).parent / "forms"


@pytest.fixture
def schema():
    return json.loads((FORMS / "complaint.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def ui():
    return json.loads((FORMS / "complaint.ui.json").read_text(encoding="utf-8"))


@pytest.fixture
def spec(schema, ui):
    return load_form(schema, ui)


@pytest.fixture
def valid_data():
    return {
        "complainant": {
            "name": "蚌埠示例科技有限公司",
            "uscc": "91340321MA2N8K3P3N",
            "kind": "sme",
            "mobile": "13812345678",
            "contact_phone": "0552-3123097",
            "operator_id": "340321198506120038",
            "email": "contact@example.com",
        },
        "summary": "某局未按合同约定支付工程款，已逾期六个月。",
        "respondent_org": "HY-HOUSING",
        "scope_area": "gov_investment",
        "channel": "complaint_column",
        "amount": "1234567.89",
        "contract_count": 2,
        "interest_rate": 4.5,
        "signed_on": "2024-05-20",
        "meeting_at": "2026-03-01T10:30:00+08:00",
        "contract_reference": "HT-2024",
        "wants_visit": True,
        "remedies": ["payment", "compensation"],
        "attachments": ["att-1", "att-2"],
        "contracts": [{"title": "施工合同", "amount": "1000.00", "signed_on": "2024-05-20"}],
        "has_settlement": False,
        "declaration": True,
    }


def errors_of(schema, data, locale="zh", **kwargs):
    with pytest.raises(InvalidSubmission) as info:
        validate(schema, data, locale=locale, **kwargs)
    return info.value.errors


# -- load_form ------------------------------------------------------------------------------------

def test_fields_follow_ui_order_with_wildcard(spec):
    names = [f.name for f in spec.fields]
    assert names[:5] == ["complainant", "respondent_org", "scope_area", "channel", "summary"] and names[-1] == "declaration"


def test_nested_object_is_a_section_with_dotted_children(spec):
    section = spec.field("complainant")
    assert (section.widget, [c.name for c in section.children][:3]) == (
        "section", ["complainant.name", "complainant.kind", "complainant.uscc"]
    )


def test_array_of_objects_is_rows_with_star_index_children(spec):
    rows = spec.field("contracts")
    assert (rows.widget, [c.name for c in rows.children]) == (
        "rows", ["contracts.*.title", "contracts.*.signed_on", "contracts.*.amount"]
    )


@pytest.mark.parametrize(
    "name, widget",
    [
        ("complainant.name", "text"),
        ("summary", "textarea"),
        ("contract_count", "number"),
        ("interest_rate", "number"),
        ("amount", "money"),
        ("signed_on", "date"),
        ("meeting_at", "datetime"),
        ("scope_area", "select"),
        ("channel", "radio"),
        ("wants_visit", "checkbox"),
        ("remedies", "checkboxes"),
        ("attachments", "file"),
        ("respondent_org", "org-picker"),
    ],
)
def test_widget_is_derived_from_schema_and_ui(spec, name, widget):
    assert spec.field(name).widget == widget


def test_choices_come_from_one_of_const_with_titles(spec):
    assert spec.field("channel").choices[1] == ("hotline_12345", "12345 热线")


def test_choices_come_from_enum(spec):
    assert spec.field("remedies").choices == [("payment", "payment"), ("performance", "performance"), ("compensation", "compensation")]


def test_field_carries_help_placeholder_and_required(spec):
    uscc = spec.field("complainant.uscc")
    assert (uscc.help, uscc.placeholder, uscc.required, uscc.format) == ("18 位，见营业执照", "91340321MA2N8K3P3N", True, "uscc")


def test_field_carries_limits(spec):
    count, summary = spec.field("contract_count"), spec.field("summary")
    assert (count.minimum, count.maximum, summary.min_length, summary.max_length) == (1, 100, 10, 2000)


def test_declaration_is_recognised(spec):
    assert spec.field("declaration").is_declaration


# -- check_supported ------------------------------------------------------------------------------

def test_fixture_form_is_supported(schema, ui):
    assert check_supported(schema, ui) == []


def test_unsupported_keyword_is_reported(schema, ui):
    schema["properties"]["summary"]["anyOf"] = [{"minLength": 1}]
    assert check_supported(schema, ui) == ["summary: unsupported keyword 'anyOf'"]


def test_unsupported_type_list_is_reported(schema, ui):
    schema["properties"]["summary"]["type"] = ["string", "null"]
    assert any("summary: 'type' must be one of" in p for p in check_supported(schema, ui))


def test_unknown_widget_is_reported(schema, ui):
    ui["summary"]["ui:widget"] = "richtext"
    assert check_supported(schema, ui) == ["summary: unsupported widget 'richtext'"]


def test_unknown_format_is_reported(schema, ui):
    schema["properties"]["summary"]["format"] = "iban"
    assert check_supported(schema, ui) == ["summary: unsupported format 'iban'"]


def test_array_of_plain_strings_without_file_widget_is_reported(schema):
    assert check_supported(schema, None) == [
        "attachments: an array of string needs enum choices (checkboxes) or the file widget"
    ]


def test_ui_order_naming_an_unknown_field_is_reported(schema, ui):
    ui["ui:order"].append("nonexistent")
    assert check_supported(schema, ui) == ["(root): ui:order names unknown field 'nonexistent'"]


def test_conditional_on_undeclared_field_is_reported(schema, ui):
    schema["then"] = {"required": ["ghost"]}
    assert check_supported(schema, ui) == ["(root): 'then' refers to field 'ghost' that is not declared in properties"]


def test_invalid_json_schema_is_reported(schema, ui):
    schema["properties"]["summary"]["minLength"] = -1
    assert check_supported(schema, ui)[0].startswith("not a valid JSON Schema 2020-12")


# -- coerce ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [("on", True), ("true", True), ("1", True), ("false", False), ("0", False)])
def test_coerce_checkbox_values(spec, raw, expected):
    assert coerce(spec, {"wants_visit": raw})["wants_visit"] is expected


def test_coerce_missing_checkbox_is_false(spec):
    assert coerce(spec, {})["wants_visit"] is False


def test_coerce_hidden_false_then_ticked_checkbox_is_true(spec):
    assert coerce(spec, {"declaration": ["false", "true"]})["declaration"] is True


def test_coerce_missing_radio_boolean_is_dropped(spec):
    assert "has_settlement" not in coerce(spec, {})


def test_coerce_integer(spec):
    assert coerce(spec, {"contract_count": " 12 "})["contract_count"] == 12


def test_coerce_number(spec):
    assert coerce(spec, {"interest_rate": "4.5"})["interest_rate"] == 4.5


def test_coerce_unparseable_number_is_kept_for_validation_to_report(spec):
    assert coerce(spec, {"contract_count": "twelve"})["contract_count"] == "twelve"


def test_coerce_money_is_a_normalised_decimal_string(spec):
    assert coerce(spec, {"amount": "1,234,567.8"})["amount"] == "1234567.80"


def test_coerce_multi_values_become_an_array(spec):
    assert coerce(spec, {"remedies": ["payment", "", "compensation"]})["remedies"] == ["payment", "compensation"]


def test_coerce_dotted_names_become_nested_objects(spec):
    data = coerce(spec, {"complainant.name": "示例公司", "complainant.uscc": "91340321ma2n8k3p3n"})
    assert data["complainant"] == {"name": "示例公司", "uscc": "91340321MA2N8K3P3N"}


def test_coerce_rows_from_indexed_names_skipping_blank_rows(spec):
    raw = {"contracts.0.title": "施工合同", "contracts.0.amount": "1000", "contracts.1.title": "", "contracts.2.title": "补充协议"}
    assert coerce(spec, raw)["contracts"] == [{"title": "施工合同", "amount": "1000.00"}, {"title": "补充协议"}]


def test_coerce_drops_empty_strings(spec):
    assert "summary" not in coerce(spec, {"summary": "   "})


def test_coerce_ignores_undeclared_names(spec):
    assert "csrf_token" not in coerce(spec, {"csrf_token": "x"})


def test_coerce_mobile_strips_country_prefix(spec):
    assert coerce(spec, {"complainant.mobile": "+86 138 1234 5678"})["complainant"]["mobile"] == "13812345678"


def test_coerce_datetime_local_gets_beijing_offset(spec):
    assert coerce(spec, {"meeting_at": "2026-03-01T10:30"})["meeting_at"] == "2026-03-01T10:30:00+08:00"


def test_coerce_accepts_a_multidict_like_source(spec):
    class MultiDict(dict):
        def getlist(self, key):
            return self.get(key, [])

    assert coerce(spec, MultiDict({"remedies": ["payment", "performance"]}))["remedies"] == ["payment", "performance"]


def test_coerced_html_submission_validates(schema, spec):
    raw = {
        "complainant.name": "蚌埠示例科技有限公司", "complainant.uscc": "９１３４０３２１ＭＡ２Ｎ８Ｋ３Ｐ３Ｎ",
        "complainant.mobile": "138-1234-5678", "summary": "某局未按合同约定支付工程款，已逾期六个月。",
        "respondent_org": "hy-housing", "scope_area": "ppp", "channel": "offline", "declaration": "on",
        "amount": "¥2,000", "contracts.0.title": "施工合同", "csrf_token": "abc",
    }
    assert validate(schema, coerce(spec, raw)) is None


# -- validate: success and each error kind ----------------------------------------------------------

def test_valid_full_submission_passes(schema, valid_data):
    assert validate(schema, valid_data) is None


@pytest.mark.parametrize(
    "mutate, path, zh, en",
    [
        (lambda d: d.pop("summary"), "summary", "此项为必填项", "this field is required"),
        (lambda d: d["complainant"].pop("uscc"), "complainant.uscc", "此项为必填项", "this field is required"),
        (lambda d: d.update(contract_count="2"), "contract_count", "应为整数", "must be a whole number"),
        (lambda d: d.update(scope_area="other"), "scope_area", "请从给定选项中选择", "choose one of the given options"),
        (lambda d: d.update(declaration=False), "declaration", "须勾选确认此项声明", "this declaration must be confirmed"),
        (lambda d: d.update(summary="太短"), "summary", "至少需要 10 个字符", "must be at least 10 characters long"),
        (lambda d: d["complainant"].update(name="x" * 101), "complainant.name", "最多 100 个字符",
         "must be at most 100 characters long"),
        (lambda d: d.update(contract_count=0), "contract_count", "不能小于 1", "must be at least 1"),
        (lambda d: d.update(interest_rate=101), "interest_rate", "不能大于 100", "must be at most 100"),
        (lambda d: d.update(contract_reference="HT-24"), "contract_reference", "格式不正确", "is not in the expected format"),
        (lambda d: d.update(unexpected="x"), "unexpected", "表单中没有此字段（未知字段）", "unknown field: the form has no such field"),
        (lambda d: d["contracts"][0].pop("title"), "contracts.0.title", "此项为必填项", "this field is required"),
        (lambda d: d.update(has_settlement=True), "settlement_date", "此项为必填项", "this field is required"),
    ],
    ids=["required", "nested-required", "type", "enum", "const", "minLength", "maxLength", "minimum", "maximum",
         "pattern", "additionalProperties", "row-required", "if-then"],
)
def test_error_kind_is_reported_at_its_path_in_zh_and_en(schema, valid_data, mutate, path, zh, en):
    mutate(valid_data)
    assert (errors_of(schema, valid_data, "zh"), errors_of(schema, copy.deepcopy(valid_data), "en")) == (
        {path: [zh]}, {path: [en]}
    )


@pytest.mark.parametrize(
    "field, value, zh, en",
    [
        ("uscc", "91340321MA2N8K3P30", "统一社会信用代码校验位不正确", "check character of the unified social credit code is wrong"),
        ("uscc", "91340321MA2N8K3P3", "统一社会信用代码应为 18 位", "the unified social credit code must be 18 characters long"),
        ("uscc", "91340321MAON8K3P3N", "统一社会信用代码含有不允许的字符（只允许数字和除 I、O、Z、S、V 以外的大写字母）",
         "the unified social credit code contains an illegal character (only digits and capital letters except I, O, Z, S, V)"),
        ("operator_id", "340321199002300012", "居民身份证号码中的出生日期不存在", "the birth date in the resident ID number does not exist"),
        ("operator_id", "340321198506120030", "居民身份证号码校验位不正确", "check character of the resident ID number is wrong"),
        ("mobile", "12345678901", "手机号码应为 11 位数字，以 13–19 开头", "a mobile number has 11 digits starting with 13–19"),
        ("contact_phone", "3123097", "请填写 11 位手机号码或带区号的固定电话（如 0552-3123097）",
         "enter an 11-digit mobile number or a landline with area code (e.g. 0552-3123097)"),
        ("email", "not-an-email", "电子邮箱地址格式不正确", "is not a valid email address"),
    ],
)
def test_format_error_names_the_specific_problem(schema, valid_data, field, value, zh, en):
    valid_data["complainant"][field] = value
    path = f"complainant.{field}"
    assert (errors_of(schema, valid_data, "zh")[path], errors_of(schema, valid_data, "en")[path]) == ([zh], [en])


@pytest.mark.parametrize(
    "field, value",
    [("amount", "1.234"), ("amount", "-5"), ("signed_on", "2025-02-30"), ("meeting_at", "2026-03-01T10:30:00"),
     ("respondent_org", "hy housing")],
)
def test_other_formats_are_checked(schema, valid_data, field, value):
    valid_data[field] = value
    assert list(errors_of(schema, valid_data)) == [field]


def test_org_code_must_be_a_known_org_when_codes_are_given(schema, valid_data):
    assert errors_of(schema, valid_data, "en", org_codes={"BB-CREDIT"}) == {"respondent_org": ["no organisation has this code"]}


def test_org_code_known_to_the_directory_passes(schema, valid_data):
    assert validate(schema, valid_data, org_codes={"HY-HOUSING"}) is None


def test_unknown_nested_field_is_rejected_at_its_path(schema, valid_data):
    valid_data["complainant"]["fax"] = "0552-1234567"
    assert errors_of(schema, valid_data, "en") == {"complainant.fax": ["unknown field: the form has no such field"]}


def test_if_then_does_not_require_when_condition_is_false(schema, valid_data):
    valid_data["has_settlement"] = False
    assert validate(schema, valid_data) is None


def test_if_then_is_satisfied_when_the_conditional_field_is_given(schema, valid_data):
    valid_data.update(has_settlement=True, settlement_date="2026-01-15")
    assert validate(schema, valid_data) is None


def test_json_input_is_not_coerced(schema, valid_data):
    valid_data["wants_visit"] = "true"
    assert errors_of(schema, valid_data, "en") == {"wants_visit": ["must be yes or no"]}


def test_several_missing_fields_are_each_reported(schema):
    errors = collect_errors(schema, {"complainant": {}}, locale="en")
    assert {"complainant.name", "complainant.uscc", "complainant.mobile", "summary", "declaration"} <= set(errors)


def test_non_object_submission_is_a_form_level_error(schema):
    assert errors_of(schema, [], "en") == {FORM_ERROR_KEY: ["must be a group of fields"]}


def test_locale_variants_fall_back_to_their_language(schema, valid_data):
    valid_data.pop("summary")
    assert errors_of(schema, valid_data, "en_GB") == {"summary": ["this field is required"]}
