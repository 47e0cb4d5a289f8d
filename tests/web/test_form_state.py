"""What a rendered form shows: values from typed data and from the request, the error summary,
the file fields (app.web.form_state)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from app.task_forms import FORM_ERROR_KEY, coerce, load_form
from app.web.form_state import error_summary, file_fields, input_text, values_from_data, values_from_request

FIXTURE_FORMS = Path(__file__).resolve().parents[1] / "unit" / "forms"
SHIPPED_FORMS = Path(__file__).resolve().parents[2] / "forms"


def _load(folder: Path, stem: str):
    schema = json.loads((folder / f"{stem}.schema.json").read_text(encoding="utf-8"))
    ui = json.loads((folder / f"{stem}.ui.json").read_text(encoding="utf-8"))
    return load_form(schema, ui)


@pytest.fixture
def form():
    """The unit tests' fixture form: every widget, a section and repeating rows."""
    return _load(FIXTURE_FORMS, "complaint")


@pytest.fixture
def request_ctx(app):
    def make(lang: str = "zh"):
        return app.test_request_context(f"/?lang={lang}")
    return make


# -- values_from_data ---------------------------------------------------------------------------------

def test_data_values_use_dotted_names_for_sections(form):
    values = values_from_data(form, {"complainant": {"name": "蚌埠示例科技有限公司", "uscc": "91340321MA2N8K3P3N"}})
    assert values == {"complainant.name": "蚌埠示例科技有限公司", "complainant.uscc": "91340321MA2N8K3P3N"}


def test_data_values_number_rows_from_zero(form):
    data = {"contracts": [{"title": "施工合同", "amount": "1000.00"}, {"title": "补充协议"}]}
    assert values_from_data(form, data) == {
        "contracts.0.title": "施工合同", "contracts.0.amount": "1000.00", "contracts.1.title": "补充协议"}


def test_data_values_show_booleans_as_coerce_reads_them(form):
    values = values_from_data(form, {"wants_visit": True, "has_settlement": False, "declaration": True})
    assert values == {"wants_visit": "true", "has_settlement": "false", "declaration": "true"}


def test_data_values_show_numbers_as_text(form):
    assert values_from_data(form, {"contract_count": 12, "interest_rate": 4.5}) == {
        "contract_count": "12", "interest_rate": "4.5"}


def test_data_values_keep_arrays_as_lists(form):
    values = values_from_data(form, {"remedies": ["payment", "compensation"], "attachments": ["合同.pdf"]})
    assert values == {"remedies": ["payment", "compensation"], "attachments": ["合同.pdf"]}


def test_data_date_time_shows_beijing_local_time_for_the_datetime_input(form):
    assert values_from_data(form, {"meeting_at": "2026-03-01T02:30:00+00:00"}) == {"meeting_at": "2026-03-01T10:30"}


def test_data_values_leave_out_missing_and_undeclared_keys(form):
    assert values_from_data(form, {"summary": "某局未按合同约定支付工程款", "ghost": "x"}) == {
        "summary": "某局未按合同约定支付工程款"}


def test_data_values_of_no_data_are_empty(form):
    assert values_from_data(form, None) == {}


def test_input_text_of_typed_values():
    assert [input_text(v) for v in (None, True, False, 3, 2.5, "x")] == ["", "true", "false", "3", "2.5", "x"]


# -- values_from_request ------------------------------------------------------------------------------

def test_request_values_keep_exactly_what_was_typed(form):
    raw = MultiDict([("complainant.uscc", " 9134 0321 ma2n "), ("amount", "¥1,2a3"), ("summary", "  太短\n")])
    assert values_from_request(form, raw) == {
        "complainant.uscc": " 9134 0321 ma2n ", "amount": "¥1,2a3", "summary": "  太短\n"}


def test_request_values_of_a_checkbox_are_the_last_sent(form):
    raw = MultiDict([("declaration", "false"), ("declaration", "true"), ("wants_visit", "false")])
    assert values_from_request(form, raw) == {"declaration": "true", "wants_visit": "false"}


def test_request_values_of_checkboxes_are_a_list_without_the_empty_marker(form):
    raw = MultiDict([("remedies", ""), ("remedies", "payment"), ("remedies", "compensation")])
    assert values_from_request(form, raw) == {"remedies": ["payment", "compensation"]}


def test_request_values_remember_that_no_checkbox_was_ticked(form):
    assert values_from_request(form, MultiDict([("remedies", "")])) == {"remedies": []}


def test_request_values_keep_rows_by_their_index(form):
    raw = MultiDict([("contracts.0.title", "施工合同"), ("contracts.3.amount", "12,000"), ("contracts.x.title", "?")])
    assert values_from_request(form, raw) == {"contracts.0.title": "施工合同", "contracts.3.amount": "12,000"}


def test_request_values_leave_out_undeclared_names_and_files(form):
    raw = MultiDict([("csrf_token", "abc"), ("attachments", "evil.exe"), ("summary", "x")])
    assert values_from_request(form, raw) == {"summary": "x"}


def test_request_values_accept_a_plain_mapping(form):
    assert values_from_request(form, {"remedies": ["payment"], "summary": "x"}) == {
        "remedies": ["payment"], "summary": "x"}


def test_typed_data_survives_request_values_coerce_and_back(form):
    data = {"complainant": {"name": "示例公司", "uscc": "91340321MA2N8K3P3N", "mobile": "13812345678"},
            "amount": "1000.50", "contract_count": 2, "wants_visit": True, "remedies": ["payment"],
            "contracts": [{"title": "施工合同", "signed_on": "2024-05-20"}], "meeting_at": "2026-03-01T10:30:00+08:00"}
    shown = values_from_data(form, data)
    assert coerce(form, values_from_request(form, shown)) == {**data, "declaration": False}


# -- error_summary -----------------------------------------------------------------------------------

def test_error_summary_follows_the_order_of_the_form(form, request_ctx):
    errors = {"declaration": ["须勾选确认此项声明"], "complainant.uscc": ["统一社会信用代码校验位不正确"],
              "summary": ["至少需要 10 个字符"]}
    with request_ctx():
        summary = error_summary(form, errors)
    assert [name for name, _label, _message in summary] == ["complainant.uscc", "summary", "declaration"]


def test_error_summary_labels_a_section_field_with_its_section(form, request_ctx):
    with request_ctx():
        summary = error_summary(form, {"complainant.uscc": ["统一社会信用代码校验位不正确"]})
    assert summary == [("complainant.uscc", "投诉人 · 统一社会信用代码", "统一社会信用代码校验位不正确")]


def test_error_summary_labels_a_row_field_with_its_row_number(form, request_ctx):
    with request_ctx():
        summary = error_summary(form, {"contracts.1.title": ["此项为必填项"]})
    assert summary == [("contracts.1.title", "合同清单 · 第 2 行 · 合同名称", "此项为必填项")]


def test_error_summary_is_translated(form, request_ctx):
    shipped = _load(SHIPPED_FORMS, "complaint")
    with request_ctx("en"):
        summary = error_summary(shipped, {"complainant.uscc": ["check character of the unified social credit code is wrong"]})
    assert summary[0][1] == "Complainant · Unified social credit code"


def test_error_summary_puts_unknown_fields_last_and_leaves_out_form_errors(form, request_ctx):
    errors = {"ghost": ["表单中没有此字段（未知字段）"], FORM_ERROR_KEY: ["提交未成功"], "summary": ["此项为必填项"]}
    with request_ctx():
        summary = error_summary(form, errors)
    assert summary == [("summary", "投诉事项", "此项为必填项"), ("ghost", "ghost", "表单中没有此字段（未知字段）")]


def test_error_summary_lists_every_message_of_a_field(form, request_ctx):
    with request_ctx():
        summary = error_summary(form, {"amount": ["金额格式不正确", "格式不正确"]})
    assert [message for _name, _label, message in summary] == ["金额格式不正确", "格式不正确"]


# -- file_fields --------------------------------------------------------------------------------------

def test_file_fields_are_the_fields_drawn_as_file_inputs(form):
    assert [spec.name for spec in file_fields(form)] == ["attachments"]


def test_the_shipped_material_form_has_one_multiple_file_field():
    fields = file_fields(_load(SHIPPED_FORMS, "supply_material"))
    assert [(spec.name, spec.multiple) for spec in fields] == [("supplement_files", True)]
