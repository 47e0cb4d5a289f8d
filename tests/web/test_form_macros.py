"""The JSON-Schema form macros (templates/macros/form.html) rendered inside the app: every shipped
form draws each field with the right control and label; entered values survive an error; errors
sit beside their field and in the summary; read-only drawing; escaping; English."""
from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest
from babel.messages.extract import extract_from_file
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from app.task_forms import FORM_ERROR_KEY, coerce, collect_errors, load_form
from app.web.form_state import error_summary, values_from_data, values_from_request
from app.web.i18n import catalog

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "forms"
FIXTURE = ROOT / "tests" / "unit" / "forms"
MACROS_FILE = ROOT / "app" / "web" / "templates" / "macros" / "form.html"
SHIPPED_STEMS = sorted(p.name[: -len(".schema.json")] for p in SHIPPED.glob("*.schema.json"))
IMPORT = '{% from "macros/form.html" import form_fields, form_readonly, field %}'

ORGS = [
    {"code": "BB-HOUSING", "name": "蚌埠市住房和城乡建设局", "region_name": "蚌埠市本级", "kind": "agency"},
    {"code": "BB-FIN", "name": "蚌埠市财政局", "region_name": "蚌埠市本级", "kind": "agency"},
    {"code": "HY-HOUSING", "name": "怀远县住房和城乡建设局", "region_name": "怀远县", "kind": "agency"},
]


def load(folder: Path, stem: str):
    schema = json.loads((folder / f"{stem}.schema.json").read_text(encoding="utf-8"))
    ui_path = folder / f"{stem}.ui.json"
    ui = json.loads(ui_path.read_text(encoding="utf-8")) if ui_path.exists() else {}
    return load_form(schema, ui)


@pytest.fixture
def render(app):
    """render(form, values, errors, options, lang) -> the HTML of form_fields inside a <form>."""
    def run(form, values=None, errors=None, options=None, lang="zh"):
        with app.test_request_context(f"/?lang={lang}"):
            return render_template_string(
                IMPORT + '<form method="post">{{ form_fields(form, values, errors, options) }}</form>',
                form=form, values=values or {}, errors=errors or {}, options=options or {})
    return run


@pytest.fixture
def render_readonly(app):
    def run(form, data, options=None, lang="zh"):
        with app.test_request_context(f"/?lang={lang}"):
            return render_template_string(IMPORT + "{{ form_readonly(form, data, options) }}",
                                          form=form, data=data, options=options or {})
    return run


@pytest.fixture
def summary_of(app):
    def run(form, errors, values=None, lang="zh"):
        with app.test_request_context(f"/?lang={lang}"):
            return error_summary(form, errors, values)
    return run


def parse(html: str):
    return lxml.html.document_fromstring("<!doctype html><html><body>" + html + "</body></html>")


def by_id(doc, element_id: str):
    found = doc.xpath("//*[@id=$id]", id=element_id)
    assert found, f"no element with id {element_id!r}"
    return found[0]


def text_of(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def submitted(html: str) -> MultiDict:
    """What a browser sends for the rendered form: successful controls, <template> rows left out,
    the newline right after <textarea> dropped (the HTML parser of a browser does that)."""
    doc = parse(html)
    for template in doc.xpath("//template"):
        template.getparent().remove(template)
    for area in doc.xpath("//textarea"):
        if area.text and area.text.startswith("\n"):
            area.text = area.text[1:]
    return MultiDict(doc.forms[0].form_values())


def concrete(name: str) -> str:
    """The name of a field in the first drawn row (rows draw one empty row when there are none)."""
    return name.replace(".*.", ".0.")


# what each widget draws: (tag, type attribute or None)
CONTROL = {
    "text": ("input", ("text", "tel")), "textarea": ("textarea", (None,)), "number": ("input", ("text",)),
    "money": ("input", ("text",)), "date": ("input", ("date",)), "datetime": ("input", ("datetime-local",)),
    "select": ("select", (None,)), "radio": ("input", ("radio",)), "checkbox": ("input", ("checkbox",)),
    "checkboxes": ("input", ("checkbox",)), "file": ("input", ("file",)), "org-picker": ("select", (None,)),
    "section": ("fieldset", (None,)), "rows": ("fieldset", (None,)), "hidden": ("input", ("hidden",)),
}


def assert_drawn(doc, spec):
    name = concrete(spec.name)
    el = by_id(doc, f"f-{name}")
    tag, types = CONTROL[spec.widget]
    assert (el.tag, el.get("type")) in {(tag, t) for t in types}, (spec.name, spec.widget, el.tag, el.get("type"))
    if spec.widget in ("section", "rows"):
        assert spec.title in text_of(el.xpath("./legend")[0])
        return
    assert el.get("name") == name
    if spec.widget in ("radio", "checkboxes"):
        assert spec.title in text_of(by_id(doc, f"l-{name}"))
        assert len(doc.xpath("//input[@name=$n][@type=$t]", n=name, t=el.get("type"))) == len(spec.choices or [1, 2])
    elif spec.widget != "hidden":
        labels = doc.xpath("//label[@for=$id]", id=f"f-{name}")
        assert labels and spec.title in text_of(labels[0]), spec.name


# -- every field of every form ------------------------------------------------------------------------

@pytest.mark.parametrize("stem", SHIPPED_STEMS)
def test_every_field_of_a_shipped_form_is_drawn_with_its_control_and_label(render, stem):
    form = load(SHIPPED, stem)
    doc = parse(render(form, options={"orgs": ORGS}))
    for spec in form.iter_fields():
        assert_drawn(doc, spec)


def test_every_widget_of_the_fixture_form_is_drawn(render):
    form = load(FIXTURE, "complaint")
    doc = parse(render(form, options={"orgs": ORGS}))
    widgets = set()
    for spec in form.iter_fields():
        assert_drawn(doc, spec)
        widgets.add(spec.widget)
    assert widgets >= {"text", "textarea", "number", "money", "date", "datetime", "select", "radio", "checkbox",
                       "checkboxes", "file", "org-picker", "rows", "section"}


def test_required_fields_are_marked(render):
    doc = parse(render(load(SHIPPED, "complaint"), options={"orgs": ORGS}))
    uscc, address = by_id(doc, "f-complainant.uscc"), by_id(doc, "f-complainant.address")
    assert (uscc.get("aria-required"), address.get("aria-required")) == ("true", None)
    assert doc.xpath("//label[@for='f-complainant.uscc']//abbr[@class='req']")


def test_help_description_and_placeholder_are_shown_and_described(render):
    doc = parse(render(load(SHIPPED, "complaint")))
    uscc = by_id(doc, "f-complainant.uscc")
    described = uscc.get("aria-describedby").split()
    assert (text_of(by_id(doc, "h-complainant.uscc")), "h-complainant.uscc" in described,
            "d-complainant.uscc" in described, uscc.get("placeholder")) == (
        "18位统一社会信用代码，字母须大写。", True, True, "例如 91340321MA2N8K3P3N")


def test_section_has_its_legend_and_description(render):
    doc = parse(render(load(SHIPPED, "complaint")))
    section = by_id(doc, "f-respondent")
    assert (text_of(section.xpath("./legend")[0]), text_of(by_id(doc, "d-respondent"))) == (
        "被投诉主体", "被投诉的政府部门、事业单位、开发区管委会或乡镇人民政府。")


def test_plain_fields_between_sections_share_a_box(render):
    doc = parse(render(load(SHIPPED, "complaint")))
    box = by_id(doc, "f-facts").xpath("ancestor::div[contains(@class, 'form-section-plain')]")
    assert box and box[0].xpath(".//*[@id='f-channel']")


# -- widgets ------------------------------------------------------------------------------------------

def test_money_input_has_decimal_keyboard_and_yuan_affixes(render):
    doc = parse(render(load(SHIPPED, "complaint")))
    money = by_id(doc, "f-contract.amount_total")
    affix = money.getparent()
    assert (money.get("inputmode"), text_of(affix.xpath("./span[contains(@class,'affix-pre')]")[0]),
            text_of(affix.xpath("./span[contains(@class,'affix-post')]")[0])) == ("decimal", "¥", "元")


def test_number_input_is_text_with_a_numeric_keyboard_and_its_range(render):
    doc = parse(render(load(FIXTURE, "complaint")))
    count = by_id(doc, "f-contract_count")
    assert (count.get("type"), count.get("inputmode"), count.get("data-min"), count.get("data-max")) == (
        "text", "numeric", "1", "100")
    assert "1–100" in text_of(count.getparent())


def test_nothing_in_the_form_blocks_the_submit_natively(render):
    html = render(load(FIXTURE, "complaint"), options={"orgs": ORGS})
    assert not re.search(r"\s(required|pattern|min|max|maxlength|minlength)(=|\s|>)", html)
    assert not re.search(r'\stype="(email|number|url)"', html)


def test_select_offers_an_empty_choice_then_the_choices(render):
    doc = parse(render(load(SHIPPED, "complaint"), values={"contract.scope_area": "ppp"}))
    options = by_id(doc, "f-contract.scope_area").xpath("./option")
    assert [o.get("value") for o in options][:3] == ["", "gov_procurement", "bidding"]
    assert [o.get("value") for o in options if o.get("selected") is not None] == ["ppp"]


def test_radio_choices_of_a_boolean_are_true_and_false(render):
    doc = parse(render(load(SHIPPED, "confirm_rectification"), values={"rectification_confirmed": "false"}))
    radios = doc.xpath("//input[@name='rectification_confirmed']")
    assert [(r.get("value"), r.get("checked") is not None) for r in radios] == [("true", False), ("false", True)]


def test_checkbox_sends_false_when_not_ticked_and_true_when_ticked(render):
    form = load(SHIPPED, "complaint")
    unticked = submitted(render(form))
    ticked = MultiDict(list(unticked.items(multi=True)) + [("declarations.truthful", "true")])
    assert (coerce(form, unticked)["declarations"]["truthful"], coerce(form, ticked)["declarations"]["truthful"]) == (
        False, True)


def test_hidden_false_comes_before_its_checkbox(render):
    doc = parse(render(load(SHIPPED, "complaint"), values={"declarations.truthful": "true"}))
    inputs = doc.xpath("//input[@name='declarations.truthful']")
    assert [(i.get("type"), i.get("value"), i.get("checked") is not None) for i in inputs] == [
        ("hidden", "false", False), ("checkbox", "true", True)]


def test_declaration_is_drawn_as_a_declaration(render):
    doc = parse(render(load(SHIPPED, "complaint")))
    field = doc.xpath("//div[@data-field='declarations.truthful']")[0]
    assert "field-declaration" in field.get("class") and field.xpath(".//abbr[@class='req']")


def test_checkboxes_tick_every_chosen_value(render):
    doc = parse(render(load(SHIPPED, "decide_sanctions"),
                       values={"sanctions_decided": ["limit_special_bonds", "limit_gov_procurement"]}))
    ticked = [i.get("value") for i in doc.xpath("//input[@name='sanctions_decided'][@checked]")]
    assert ticked == ["limit_special_bonds", "limit_gov_procurement"]


def test_file_input_takes_several_files_of_the_allowed_types_and_warns_over_the_limit(render):
    form = load(SHIPPED, "supply_material")
    doc = parse(render(form, options={"max_upload_bytes": 2_000_000}))
    files = by_id(doc, "f-supplement_files")
    assert (files.get("multiple") is not None, files.get("accept"), files.get("data-max-bytes"),
            files.get("data-max-files")) == (
        True, ".pdf,.png,.jpg,.jpeg,.gif,.webp,.ofd,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt", "2000000", "20")
    assert "2 MB" in text_of(files.getparent())


def test_file_limits_read_as_sentences_in_both_languages(render):
    form = load(SHIPPED, "supply_material")
    zh = text_of(parse(render(form, options={"max_upload_bytes": 2_000_000})).xpath("//p[@class='file-limits']")[0])
    en = text_of(parse(render(form, options={"max_upload_bytes": 2_000_000}, lang="en")).xpath(
        "//p[@class='file-limits']")[0])
    assert (zh, en) == ("可上传 PDF、图片、OFD 或 Office 文档。单个文件不超过 2 MB。最多 20 个文件。",
                        "PDF, images, OFD or Office documents. At most 2 MB per file. At most 20 files.")


def test_file_input_of_one_file_is_not_multiple_and_uses_its_own_accept_list(render):
    schema = {"type": "object", "properties": {"report": {"type": "string", "title": "报告"}}}
    form = load_form(schema, {"report": {"ui:widget": "file", "ui:options": {"accept": ".pdf"}}})
    files = by_id(parse(render(form)), "f-report")
    assert (files.get("multiple"), files.get("accept")) == (None, ".pdf")


def test_files_already_uploaded_are_listed(render):
    options = {"attachments": {"supplement_files": ["付款凭证.pdf", {"name": "合同.pdf", "url": "/a/1", "size": 2048}]}}
    doc = parse(render(load(SHIPPED, "supply_material"), options=options))
    items = doc.xpath("//ul[@class='file-existing']/li")
    assert [text_of(li) for li in items] == ["付款凭证.pdf", "合同.pdf （2 KB）"]
    assert items[1].xpath("./a/@href") == ["/a/1"]


def test_org_picker_groups_the_directory_by_region_and_keeps_the_choice(render):
    doc = parse(render(load(SHIPPED, "complaint"), values={"respondent.org_code": "HY-HOUSING"}, options={"orgs": ORGS}))
    select = by_id(doc, "f-respondent.org_code")
    groups = [(g.get("label"), [o.get("value") for o in g.xpath("./option")]) for g in select.xpath("./optgroup")]
    assert groups == [("蚌埠市本级", ["BB-HOUSING", "BB-FIN"]), ("怀远县", ["HY-HOUSING"])]
    assert select.xpath(".//option[@selected]/@value") == ["HY-HOUSING"]
    assert doc.xpath("//input[@data-org-search-for='f-respondent.org_code'][@hidden]")


def test_org_picker_keeps_a_code_that_is_not_in_the_directory(render):
    doc = parse(render(load(SHIPPED, "complaint"), values={"respondent.org_code": "XX-GONE"}, options={"orgs": ORGS}))
    assert by_id(doc, "f-respondent.org_code").xpath(".//option[@selected]/@value") == ["XX-GONE"]


def test_org_picker_without_a_directory_is_a_code_input(render):
    doc = parse(render(load(SHIPPED, "reroute_referral"), values={"reroute_org": "BB-FIN"}))
    code = by_id(doc, "f-reroute_org")
    assert (code.tag, code.get("value"), code.get("data-format")) == ("input", "BB-FIN", "org-code")


def test_rows_draw_the_rows_present_with_their_indices_and_a_template(render):
    values = {"contracts.0.title": "施工合同", "contracts.2.title": "补充协议", "contracts.2.amount": "12,000"}
    doc = parse(render(load(FIXTURE, "complaint"), values=values))
    rows = by_id(doc, "f-contracts")
    drawn = [i.get("name") for i in rows.xpath("./ol/li//input[contains(@name, '.title')]")]
    template = rows.xpath("./template//input/@name")
    assert (drawn, rows.get("data-next-index"), sorted(template)) == (
        ["contracts.0.title", "contracts.2.title"], "3",
        ["contracts.__INDEX__.amount", "contracts.__INDEX__.signed_on", "contracts.__INDEX__.title"])


def test_rows_without_values_draw_one_empty_row(render):
    doc = parse(render(load(FIXTURE, "complaint")))
    assert by_id(doc, "f-contracts.0.title").get("value") == ""


def test_rows_buttons_wait_for_the_script(render):
    doc = parse(render(load(FIXTURE, "complaint")))
    add = doc.xpath("//button[@data-row-add]")[0]
    assert (add.get("type"), add.get("hidden") is not None) == ("button", True)


def test_hidden_widget_is_a_hidden_input(render):
    schema = {"type": "object", "properties": {"ref": {"type": "string", "title": "引用"}}}
    doc = parse(render(load_form(schema, {"ref": {"ui:widget": "hidden"}}), values={"ref": "R-1"}))
    assert (by_id(doc, "f-ref").get("type"), by_id(doc, "f-ref").get("value")) == ("hidden", "R-1")


def test_schema_default_is_shown_when_there_is_no_value(render):
    schema = {"type": "object", "properties": {
        "method": {"type": "string", "title": "方式", "enum": ["phone", "letter"], "default": "letter"},
        "days": {"type": "integer", "title": "天数", "default": 5}}}
    form = load_form(schema, {"method": {"ui:widget": "radio"}})
    doc = parse(render(form))
    assert (doc.xpath("//input[@name='method'][@checked]/@value"), by_id(doc, "f-days").get("value")) == (["letter"], "5")


def test_a_value_the_user_emptied_is_not_replaced_by_the_default(render):
    schema = {"type": "object", "properties": {"days": {"type": "integer", "title": "天数", "default": 5}}}
    assert by_id(parse(render(load_form(schema), values={"days": ""})), "f-days").get("value") == ""


# -- values survive an error ------------------------------------------------------------------------

def test_what_was_typed_comes_back_after_an_error(render):
    form = load(FIXTURE, "complaint")
    typed = MultiDict([
        ("complainant.name", "示例公司"), ("complainant.uscc", "91340321ma2n8k3p30"), ("complainant.kind", "sme"),
        ("complainant.mobile", "138 1234 567"), ("summary", "太短\n第二行"), ("respondent_org", "BB-FIN"),
        ("scope_area", "bidding"), ("channel", "offline"), ("amount", "¥1,2a3"), ("contract_count", "十二"),
        ("signed_on", "2024-05-20"), ("meeting_at", "2026-03-01T10:30"), ("contract_reference", "HT-24"),
        ("wants_visit", "false"), ("wants_visit", "true"), ("remedies", ""), ("remedies", "payment"),
        ("remedies", "compensation"), ("contracts.0.title", "施工合同"), ("contracts.3.amount", "abc"),
        ("has_settlement", "true"), ("declaration", "false"),
    ])
    values = values_from_request(form, typed)
    errors = collect_errors(form.schema, coerce(form, typed))
    assert errors  # the submission is refused …
    html = render(form, values=values, errors=errors, options={"orgs": ORGS})
    # … and the page sends back what was typed (plus the inputs left empty)
    assert _filled(values_from_request(form, submitted(html))) == _filled(values)


def _filled(values: dict) -> dict:
    return {name: value for name, value in values.items() if value != ""}


def _sample(spec):
    """A typed value for a field, as coerce() would make it from a browser's submission."""
    if spec.children:
        return {child.key: _sample(child) for child in spec.children}
    if spec.choices:
        return [spec.choices[-1][0]] if spec.multiple else spec.choices[-1][0]
    if spec.type == "boolean":
        return True
    by_format = {"org-code": "BB-FIN", "date": "2026-03-02", "money": "1234.50", "uscc": "91340321MA2N8K3P3N",
                 "cn-phone": "0552-3123097", "cn-mobile": "13812345678", "cn-id": "340321198506120038",
                 "email": "contact@example.com", "date-time": "2026-03-01T10:30:00+08:00"}
    if spec.format in by_format:
        return by_format[spec.format]
    if spec.type == "integer":
        return 12
    return f"<{spec.key}> & “{spec.title}”"


@pytest.mark.parametrize("stem", SHIPPED_STEMS)
def test_stored_data_of_a_shipped_form_round_trips_through_the_page(render, stem):
    """typed data -> values_from_data -> the page -> what the browser sends -> coerce: the same data."""
    form = load(SHIPPED, stem)
    data = {spec.key: _sample(spec) for spec in form.fields if spec.widget != "file"}
    html = render(form, values=values_from_data(form, data), options={"orgs": ORGS})
    assert coerce(form, submitted(html)) == data


# -- errors ---------------------------------------------------------------------------------------------

@pytest.fixture
def complaint_errors():
    return {
        "complainant.uscc": ["统一社会信用代码校验位不正确"],
        "complainant.kind": ["此项为必填项"],
        "facts": ["至少需要 20 个字符"],
        "declarations.truthful": ["须勾选确认此项声明"],
        "contract.amount_total": ["金额应为不小于 0 的数字", "格式不正确"],
    }


def test_an_error_is_shown_beside_its_field_and_marks_the_input(render, complaint_errors):
    doc = parse(render(load(SHIPPED, "complaint"), errors=complaint_errors))
    field = doc.xpath("//div[@data-field='complainant.uscc']")[0]
    uscc = by_id(doc, "f-complainant.uscc")
    assert "has-error" in field.get("class")
    assert text_of(field.xpath(".//div[@class='field-error']")[0]) == "错误：统一社会信用代码校验位不正确"
    assert (uscc.get("aria-invalid"), uscc.get("aria-describedby").split()[0]) == ("true", "e-complainant.uscc")


def test_every_message_of_a_field_is_shown(render, complaint_errors):
    doc = parse(render(load(SHIPPED, "complaint"), errors=complaint_errors))
    messages = by_id(doc, "e-contract.amount_total").xpath("./p")
    assert [text_of(p) for p in messages] == ["错误：金额应为不小于 0 的数字", "错误：格式不正确"]


def test_a_group_error_describes_the_group(render, complaint_errors):
    doc = parse(render(load(SHIPPED, "complaint"), errors=complaint_errors))
    group = doc.xpath("//div[@data-field='complainant.kind']")[0]
    assert (group.get("role"), group.get("aria-describedby").split()[0]) == ("group", "e-complainant.kind")


def test_the_summary_links_every_error_in_the_order_of_the_form(render, summary_of, complaint_errors):
    form = load(SHIPPED, "complaint")
    doc = parse(render(form, errors=complaint_errors))
    links = doc.xpath("//div[@data-error-summary]//li/a")
    expected = [(f"#f-{name}", f"{label}：{message}") for name, label, message in summary_of(form, complaint_errors)]
    assert [(a.get("href"), text_of(a)) for a in links] == expected
    assert expected[0] == ("#f-complainant.kind", "投诉人信息 · 投诉人类型：此项为必填项")
    assert expected[-1] == ("#f-declarations.truthful",
                            "承诺与授权 · 本人承诺所提供材料真实有效，如有虚假愿承担相应法律责任：须勾选确认此项声明")


def test_every_summary_link_points_at_an_element_of_the_page(render, complaint_errors):
    doc = parse(render(load(SHIPPED, "complaint"), errors=complaint_errors))
    for href in doc.xpath("//div[@data-error-summary]//li/a/@href"):
        by_id(doc, href[1:])


def test_row_errors_are_shown_in_their_row_and_summarised_with_the_row_number(render, summary_of):
    form = load(FIXTURE, "complaint")
    values = {"contracts.0.title": "施工合同", "contracts.1.amount": "12"}
    errors = {"contracts.1.title": ["此项为必填项"]}
    doc = parse(render(form, values=values, errors=errors))
    assert text_of(by_id(doc, "e-contracts.1.title")) == "错误：此项为必填项"
    assert [text_of(a) for a in doc.xpath("//div[@data-error-summary]//li/a")] == [
        "合同清单 · 第 2 行 · 合同名称：此项为必填项"] == [
        f"{label}：{message}" for _n, label, message in summary_of(form, errors, values)]


def test_a_form_level_error_is_shown_on_top(render):
    doc = parse(render(load(SHIPPED, "triage"), errors={FORM_ERROR_KEY: ["提交未成功：该任务已不可办理。"]}))
    summary = doc.xpath("//div[@data-error-summary]")[0]
    assert text_of(summary.xpath("./p[@class='error-summary-form']")[0]) == "提交未成功：该任务已不可办理。"
    assert summary.getparent().index(summary) == 0


def test_an_error_at_a_field_the_form_does_not_draw_is_still_listed(render):
    doc = parse(render(load(SHIPPED, "triage"), errors={"ghost": ["表单中没有此字段（未知字段）"]}))
    assert [text_of(li) for li in doc.xpath("//div[@data-error-summary]//li")] == ["ghost：表单中没有此字段（未知字段）"]


def test_no_errors_no_summary(render):
    assert not parse(render(load(SHIPPED, "triage"))).xpath("//div[@data-error-summary]")


# -- read-only ---------------------------------------------------------------------------------------

def test_readonly_option_disables_every_input_and_hides_the_row_tools(render):
    values = {"complainant.name": "示例公司", "declaration": "true", "contracts.0.title": "施工合同"}
    doc = parse(render(load(FIXTURE, "complaint"), values=values, options={"readonly": True, "orgs": ORGS}))
    controls = doc.xpath("//input | //select | //textarea")
    assert controls and all(c.get("disabled") is not None for c in controls)
    assert not doc.xpath("//template | //button")
    assert by_id(doc, "f-complainant.name").get("value") == "示例公司"


@pytest.fixture
def complaint_data():
    return {
        "complainant": {"kind": "individual_business", "name": "蚌埠示例商行", "uscc": "92340321MA2N8K3P3N",
                        "contact_name": "张三", "contact_phone": "13812345678"},
        "respondent": {"org_code": "HY-HOUSING"},
        "contract": {"title": "道路施工合同", "scope_area": "gov_investment", "amount_total": "1234567.5"},
        "facts": "第一行\n<script>alert(1)</script>",
        "demands": "支付工程款",
        "attachments": ["合同.pdf", "付款凭证.jpg"],
        "channel": "hotline_12345",
        "declarations": {"truthful": True, "consent_contact": True},
    }


def _facts(doc) -> dict[str, str]:
    return {text_of(dt): text_of(dt.getnext()) for dt in doc.xpath("//dt")}


def test_readonly_view_shows_labels_not_codes(render_readonly, complaint_data):
    doc = parse(render_readonly(load(SHIPPED, "complaint"), complaint_data, {"orgs": ORGS}))
    facts = _facts(doc)
    assert (facts["投诉人类型"], facts["所属领域"], facts["受理渠道"], facts["被投诉单位"]) == (
        "个体工商户", "政府投资", "12345政务服务便民热线", "怀远县住房和城乡建设局")


def test_readonly_view_formats_money_booleans_and_files(render_readonly, complaint_data):
    doc = parse(render_readonly(load(SHIPPED, "complaint"), complaint_data))
    facts = _facts(doc)
    assert (facts["合同金额（元）"], facts["本人承诺所提供材料真实有效，如有虚假愿承担相应法律责任。"]) == (
        "1,234,567.50 元", "是")
    assert [text_of(li) for li in doc.xpath("//dd/ul[@class='file-list']/li")] == ["合同.pdf", "付款凭证.jpg"]


def test_readonly_view_groups_sections_under_headings_in_form_order(render_readonly, complaint_data):
    doc = parse(render_readonly(load(SHIPPED, "complaint"), complaint_data))
    headings = [text_of(h) for h in doc.xpath("//section[@class='ro-section']/h3")]
    assert headings == ["投诉人信息", "被投诉主体", "协议或合同", "承诺与授权"]
    plain = doc.xpath("//div[@class='form-readonly']/dl/dt")
    assert [text_of(dt) for dt in plain] == ["投诉事实", "投诉诉求", "证明材料", "受理渠道"]


def test_readonly_view_leaves_out_what_was_not_filled_in(render_readonly, complaint_data):
    facts = _facts(parse(render_readonly(load(SHIPPED, "complaint"), complaint_data)))
    assert "电子邮箱" not in facts and "协议/合同编号" not in facts


def test_readonly_view_draws_rows_as_a_table_and_local_times(render_readonly):
    data = {"contracts": [{"title": "施工合同", "amount": "1000"}, {"title": "补充协议", "signed_on": "2024-05-20"}],
            "meeting_at": "2026-03-01T02:30:00+00:00", "has_settlement": False, "remedies": ["payment", "compensation"]}
    doc = parse(render_readonly(load(FIXTURE, "complaint"), data))
    rows = [[text_of(td) for td in tr.xpath("./td")] for tr in doc.xpath("//table//tbody/tr")]
    assert rows == [["1", "施工合同", "", "1,000.00 元"], ["2", "补充协议", "2024-05-20", ""]]
    facts = _facts(doc)
    assert (facts["约谈时间"], facts["是否已达成和解"], facts["诉求"]) == ("2026-03-01 10:30", "否", "payment、compensation")


def test_readonly_view_of_nothing_says_so(render_readonly):
    assert text_of(parse(render_readonly(load(SHIPPED, "triage"), {})).xpath("//p")[0]) == "（无）"


# -- escaping and CSP ---------------------------------------------------------------------------------

def test_values_are_escaped(render):
    evil = '<script>alert("x")</script>'
    html = render(load(FIXTURE, "complaint"), values={"complainant.name": evil, "summary": evil},
                  errors={"summary": [evil]})
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    doc = parse(html)
    assert (by_id(doc, "f-complainant.name").get("value"), by_id(doc, "f-summary").text.strip()) == (evil, evil)


def test_readonly_values_are_escaped(render_readonly, complaint_data):
    html = render_readonly(load(SHIPPED, "complaint"), complaint_data)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_schema_strings_are_escaped_and_may_hold_a_percent_sign(render):
    schema = {"type": "object", "properties": {"rate": {
        "type": "number", "title": "<i>利率</i>（%）", "description": "按 100% 计"}}}
    html = render(load_form(schema))
    assert "<i>" not in html and "&lt;i&gt;利率&lt;/i&gt;（%）" in html and "按 100% 计" in html


def test_the_form_has_no_inline_script_style_or_handler(render):
    html = render(load(FIXTURE, "complaint"), values={"complainant.name": "x"}, errors={"summary": ["x"]},
                  options={"orgs": ORGS})
    doc = parse(html)
    scripts = doc.xpath("//script")
    assert [s.get("src") for s in scripts] == ["/static/js/form_widgets.js"] and not scripts[0].text
    assert not doc.xpath("//*[@style]") and not doc.xpath("//style")
    assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]


# -- English ------------------------------------------------------------------------------------------

def test_english_page_shows_english_labels_choices_and_messages(render):
    doc = parse(render(load(SHIPPED, "complaint"), options={"orgs": ORGS}, lang="en",
                       errors={"complainant.uscc": ["check character of the unified social credit code is wrong"]}))
    assert text_of(doc.xpath("//label[@for='f-complainant.uscc']")[0]) == "Unified social credit code*（Required）"
    assert text_of(doc.xpath("//label[@for='f-complainant.kind']")[0]) == "Small or medium-sized enterprise"
    assert text_of(by_id(doc, "f-complainant").xpath("./legend")[0]) == "Complainant"
    assert text_of(by_id(doc, "f-contract.scope_area").xpath("./option")[0]) == "Please choose"
    assert text_of(by_id(doc, "f-respondent.org_code").xpath(".//option[@value='BB-FIN']")[0]) == \
        "Bengbu Finance Bureau"
    assert [text_of(a) for a in doc.xpath("//div[@data-error-summary]//a")] == [
        "Complainant · Unified social credit code: check character of the unified social credit code is wrong"]
    root = doc.xpath("//div[@data-form-widgets]")[0]
    assert (root.get("data-msg-required"), root.get("data-msg-min-length")) == (
        "this field is required", "must be at least {limit} characters long")


def test_english_readonly_view(render_readonly, complaint_data):
    facts = _facts(parse(render_readonly(load(SHIPPED, "complaint"), complaint_data, lang="en")))
    assert (facts["Type of complainant"], facts["Area"], facts["Contract amount (yuan)"]) == (
        "Individual business", "Government investment", "1,234,567.50 yuan")


def _schema_strings(form) -> set[str]:
    found = {form.title, form.description}
    for spec in form.iter_fields():
        found.update((spec.title, spec.description, spec.help, spec.placeholder))
        found.update(label for _value, label in spec.choices)
    return {s for s in found if s}


@pytest.mark.parametrize("stem", SHIPPED_STEMS)
def test_every_string_of_a_shipped_form_has_english(stem):
    """Titles, descriptions, help texts, placeholders and choice labels are looked up as the macros
    do (a literal % doubled); an entry may live in any fragment of translations/en/."""
    english = catalog("en")
    missing = sorted(s for s in _schema_strings(load(SHIPPED, stem))
                     if not (english.get(s.replace("%", "%%")) and english.get(s.replace("%", "%%")).string))
    assert not missing, f"no English in translations/en/*.po for: {missing}"


def test_every_string_of_the_form_macros_has_english():
    english = catalog("en")
    strings = {message for _line, message, _comments, _context in extract_from_file(
        "jinja2", str(MACROS_FILE), keywords={"_": None},
        options={"extensions": "jinja2.ext.i18n", "trimmed": "false"})}
    strings |= {"是", "否"}  # the choices of a boolean without enum, translated through tr()
    assert strings and not sorted(s for s in strings if not (english.get(s) and english.get(s).string))
