"""static/js/form_widgets.js in Debian's Chromium (Playwright): the as-you-type checks agree with
the server's rules and never block the submit; rows, the org search, chosen files, the error
summary; phones get labels above inputs. The page is the macros' output served (with the app's
CSP) through Playwright's request routing, so no server runs; any console error or CSP violation
fails the test. Without /usr/bin/chromium the tests are skipped (a failure in CI)."""
from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import render_template_string

from app.identifiers import (normalize_code, normalize_mobile, normalize_money, resident_id_problem,
                             uscc_problem)
from app.task_forms import load_form

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "app" / "web" / "static"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
BASE = "http://lvyue.test"
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ORGS = [
    {"code": "BB-HOUSING", "name": "蚌埠市住房和城乡建设局", "region_name": "蚌埠市本级", "kind": "agency"},
    {"code": "BB-FIN", "name": "蚌埠市财政局", "region_name": "蚌埠市本级", "kind": "agency"},
    {"code": "HY-HOUSING", "name": "怀远县住房和城乡建设局", "region_name": "怀远县", "kind": "agency"},
]
PAGE = """{% from "macros/form.html" import form_fields %}<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/app.css"><link rel="stylesheet" href="/static/css/forms.css"></head>
<body><main class="page page-medium"><form method="post" action="/submit" enctype="application/x-www-form-urlencoded">
{{ form_fields(form, values, errors, options) }}
<div class="actions"><button type="submit" class="btn btn-primary">OK</button></div></form></main></body></html>"""
WATCH_CSP = """document.addEventListener('securitypolicyviolation', (e) =>
  console.error('CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""


def load(folder: str, stem: str):
    base = ROOT / folder
    return load_form(json.loads((base / f"{stem}.schema.json").read_text(encoding="utf-8")),
                     json.loads((base / f"{stem}.ui.json").read_text(encoding="utf-8")))


@pytest.fixture
def chromium(browser):
    """The session's Chromium (tests/browser/conftest.py): one Playwright driver for the whole run."""
    return browser


class FormPage:
    """One rendered form in a fresh browser context; `posts` collects what the form submitted."""

    def __init__(self, browser, html: str, viewport: dict):
        self.posts: list[list[tuple[str, str]]] = []
        self.problems: list[str] = []
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
        self.context.add_init_script(WATCH_CSP)
        self.context.route(f"{BASE}/**", lambda route, request: self._serve(route, request, html))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.goto(f"{BASE}/form")

    def _serve(self, route, request, html):
        path = urlsplit(request.url).path
        if path == "/form":
            route.fulfill(body=html, content_type="text/html; charset=utf-8",
                          headers={"Content-Security-Policy": CSP})
        elif path == "/submit":
            self.posts.append(parse_qsl(request.post_data or "", keep_blank_values=True))
            route.fulfill(body="<!doctype html><p>ok</p>", content_type="text/html; charset=utf-8")
        elif path.startswith("/static/") and (STATIC / path[len("/static/"):]).is_file():
            target = STATIC / path[len("/static/"):]
            route.fulfill(path=str(target), content_type=mimetypes.guess_type(target.name)[0] or "text/plain")
        else:
            route.fulfill(status=404, body="")

    def check_of(self, name: str) -> str:
        locator = self.page.locator(f'[id="c-{name}"]')
        return locator.inner_text() if locator.is_visible() else ""


@pytest.fixture
def open_form(app, chromium):
    opened: list[FormPage] = []

    def run(form, values=None, errors=None, options=None, lang="zh", viewport=DESK) -> FormPage:
        with app.test_request_context(f"/?lang={lang}"):
            html = render_template_string(PAGE, form=form, values=values or {}, errors=errors or {},
                                          options=options or {"orgs": ORGS, "max_upload_bytes": 2_000_000},
                                          lang=lang)
        opened.append(FormPage(chromium, html, viewport))
        return opened[-1]

    yield run
    for form_page in opened:
        problems = form_page.problems
        form_page.context.close()
        assert not problems, problems


@pytest.fixture
def complaint(open_form):
    return open_form(load("forms", "complaint"))


# -- the rules agree with app/identifiers.py ------------------------------------------------------------

USCC_CASES = ["91340321MA2N8K3P3N", "91340302MA8RQ4L290", "N2340321MA3K7P2Q22", "Y1340300MA4B6C8D70",
              "91350100M000100Y43", "91340321MA2N8K3P30", "91340321MAON8K3P3N", "91350100M000100Y4Z",
              "91340321M2AN8K3P3N", "913A0321MA2N8K3P3N", "91340321MA2N8K3P3", "01340321MA2N8K3P3N",
              "90340321MA2N8K3P3N", "９１３４０３２１ma2n8k3p3n", "9134-0321 MA2N 8K3P 3N"]
ID_CASES = ["11010519491231002X", "340321198506120038", "34030219900101004X", "340322200002290056",
            "340321199002300012", "340321198506120030", "34032119850612003", "34032118850612003X", "3403211985061200x8"]
MONEY_CASES = ["¥1,234.5元", "００12", "12.", "1234567.89", " 3 000 ", "1.234", ".5", "abc", "￥0.5", "-1"]
MOBILE_CASES = ["+86 138 1234 5678", "0086-13812345678", "8613812345678", "138.1234.5678", "0552-3123097"]


def test_uscc_rule_agrees_with_the_server(complaint):
    got = complaint.page.evaluate("cases => cases.map(c => lvyueFormRules.usccProblem(lvyueFormRules.normalizeCode(c)))",
                                  USCC_CASES)
    assert got == [uscc_problem(normalize_code(c)) for c in USCC_CASES]


def test_resident_id_rule_agrees_with_the_server(complaint):
    got = complaint.page.evaluate(
        "cases => cases.map(c => lvyueFormRules.residentIdProblem(lvyueFormRules.normalizeCode(c)))", ID_CASES)
    assert got == [resident_id_problem(normalize_code(c)) for c in ID_CASES]


def test_money_and_mobile_normalisation_agree_with_the_server(complaint):
    got = complaint.page.evaluate("([m, p]) => [m.map(lvyueFormRules.normalizeMoney), p.map(lvyueFormRules.normalizeMobile)]",
                                  [MONEY_CASES, MOBILE_CASES])
    assert got == [[normalize_money(c) for c in MONEY_CASES], [normalize_mobile(c) for c in MOBILE_CASES]]


@pytest.mark.parametrize("amount, capital", [
    ("0.00", "零元整"), ("10.00", "壹拾元整"), ("10010.00", "壹万零壹拾元整"), ("100000001.00", "壹亿零壹元整"),
    ("1234.50", "壹仟贰佰叁拾肆元伍角整"), ("1005.07", "壹仟零伍元零柒分"), ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
])
def test_capital_amount(complaint, amount, capital):
    assert complaint.page.evaluate("a => lvyueFormRules.capitalAmount(a)", amount) == capital


# -- as-you-type checks -------------------------------------------------------------------------------

def test_a_wrong_uscc_is_reported_beside_the_field_when_leaving_it(complaint):
    page = complaint.page
    page.fill('[name="complainant.uscc"]', "91340321MA2N8K3P30")
    page.locator('[name="complainant.uscc"]').blur()
    assert complaint.check_of("complainant.uscc") == "统一社会信用代码校验位不正确，请核对营业执照"
    assert page.get_attribute('[name="complainant.uscc"]', "aria-invalid") == "true"
    page.fill('[name="complainant.uscc"]', "91340321ma2n8k3p3n")
    assert complaint.check_of("complainant.uscc") == "统一社会信用代码校验通过"
    assert page.get_attribute('[name="complainant.uscc"]', "aria-invalid") is None


def test_a_short_uscc_says_how_many_characters_were_typed(complaint):
    complaint.page.fill('[name="complainant.uscc"]', "9134032")
    complaint.page.locator('[name="complainant.uscc"]').blur()
    assert complaint.check_of("complainant.uscc") == "统一社会信用代码应为 18 位（已输入 7 位）"


@pytest.mark.parametrize("typed, message", [
    ("1381234", "请填写 11 位手机号码或带区号的固定电话（如 0552-3123097）"), ("0552-3123097", ""), ("+86 138 1234 5678", ""),
])
def test_phone_check(complaint, typed, message):
    complaint.page.fill('[name="complainant.contact_phone"]', typed)
    complaint.page.locator('[name="complainant.contact_phone"]').blur()
    assert complaint.check_of("complainant.contact_phone") == message


def test_leaving_a_required_field_empty_says_it_is_required(complaint):
    complaint.page.focus('[name="complainant.name"]')
    complaint.page.locator('[name="complainant.name"]').blur()
    assert complaint.check_of("complainant.name") == "此项为必填项"


def test_a_text_too_short_is_reported_and_the_counter_counts(complaint):
    complaint.page.fill('[name="facts"]', "太短")
    complaint.page.locator('[name="facts"]').blur()
    assert complaint.check_of("facts") == "至少需要 20 个字符"
    assert complaint.page.inner_text('[data-counter-for="f-facts"]') == "已输入 2 / 8000 字"


def test_an_amount_is_read_back_with_the_capital_amount(complaint):
    complaint.page.fill('[name="contract.amount_total"]', "1,234,567.8")
    assert complaint.page.inner_text('[data-readback-for="f-contract.amount_total"]') == \
        "即 1,234,567.80 元　大写：壹佰贰拾叁万肆仟伍佰陆拾柒元捌角整"
    complaint.page.fill('[name="contract.amount_total"]', "12.345")
    complaint.page.locator('[name="contract.amount_total"]').blur()
    assert complaint.check_of("contract.amount_total") == "金额应为不小于 0 的数字，最多两位小数，且不超过 10 万亿元"
    assert not complaint.page.is_visible('[data-readback-for="f-contract.amount_total"]')


def test_a_number_out_of_range_is_reported(open_form):
    form_page = open_form(load("tests/unit/forms", "complaint"))
    form_page.page.fill('[name="contract_count"]', "101")
    form_page.page.locator('[name="contract_count"]').blur()
    assert form_page.check_of("contract_count") == "不能大于 100"


def test_the_schema_pattern_is_checked(open_form):
    form_page = open_form(load("tests/unit/forms", "complaint"))
    form_page.page.fill('[name="contract_reference"]', "HT-24")
    form_page.page.locator('[name="contract_reference"]').blur()
    assert form_page.check_of("contract_reference") == "格式不正确"


def test_english_page_checks_in_english(open_form):
    form_page = open_form(load("forms", "complaint"), lang="en")
    form_page.page.fill('[name="complainant.uscc"]', "91340321MA2N8K3P30")
    form_page.page.locator('[name="complainant.uscc"]').blur()
    assert form_page.check_of("complainant.uscc") == (
        "the check character of the unified social credit code is wrong: please compare it with the business licence")


def test_checks_never_block_the_submit(complaint):
    page = complaint.page
    page.fill('[name="complainant.uscc"]', "nonsense")
    page.fill('[name="facts"]', "太短")
    with page.expect_navigation():
        page.click("button[type=submit]")
    sent = dict(complaint.posts[0])
    assert (sent["complainant.uscc"], sent["facts"], sent["declarations.truthful"]) == ("nonsense", "太短", "false")


def test_a_server_error_gives_way_once_the_field_is_changed(open_form):
    form_page = open_form(load("forms", "complaint"), errors={"complainant.name": ["此项为必填项"]})
    page = form_page.page
    assert page.is_visible('[id="e-complainant.name"]')
    page.fill('[name="complainant.name"]', "蚌埠示例科技有限公司")
    assert not page.is_visible('[id="e-complainant.name"]')
    assert page.get_attribute('[name="complainant.name"]', "aria-invalid") is None


def test_the_error_summary_takes_the_focus_and_its_links_focus_the_field(open_form):
    form_page = open_form(load("forms", "complaint"), errors={"contract.title": ["此项为必填项"]})
    page = form_page.page
    assert page.evaluate("document.activeElement.matches('[data-error-summary]')")
    page.click('[data-error-summary] a')
    assert page.evaluate("document.activeElement.id") == "f-contract.title"


# -- widgets --------------------------------------------------------------------------------------------

def test_org_search_filters_the_directory(complaint):
    page = complaint.page
    page.fill('[data-org-search-for="f-respondent.org_code"]', "住房")
    visible = page.evaluate("""[...document.querySelectorAll('[id="f-respondent.org_code"] option[data-search]')]
                               .filter(o => !o.hidden).map(o => o.value)""")
    assert visible == ["BB-HOUSING", "HY-HOUSING"]
    assert page.inner_text('[data-org-count-for="f-respondent.org_code"]') == "找到 2 个单位"
    page.fill('[data-org-search-for="f-respondent.org_code"]', "bb-fin")
    page.press('[data-org-search-for="f-respondent.org_code"]', "Enter")
    assert page.input_value('[id="f-respondent.org_code"]') == "BB-FIN"
    assert not complaint.posts  # Enter in the search box chooses, it does not submit


def test_rows_are_added_and_removed(open_form):
    form_page = open_form(load("tests/unit/forms", "complaint"), values={"contracts.0.title": "施工合同"})
    page = form_page.page
    page.click("[data-row-add]")
    page.fill('[name="contracts.1.title"]', "补充协议")
    page.click("[data-row-add]")
    assert page.evaluate("document.activeElement.name") == "contracts.2.title"
    page.click('[data-row-index="1"] [data-row-remove]')
    titles = page.locator("[data-rows-list] .rows-item-title").all_inner_texts()
    names = page.evaluate("[...document.querySelectorAll('[data-rows-list] input[name$=\".title\"]')].map(i => i.name)")
    assert (titles, names) == (["第 1 行", "第 2 行"], ["contracts.0.title", "contracts.2.title"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert ("contracts.0.title", "施工合同") in form_page.posts[0]
    assert not [k for k, _v in form_page.posts[0] if k.startswith("contracts.1.")]


def test_chosen_files_are_listed_with_their_size_and_warnings(open_form):
    form_page = open_form(load("forms", "supply_material"), options={"max_upload_bytes": 1000})
    form_page.page.set_input_files('[name="supplement_files"]', [
        {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" + b"0" * 500},
        {"name": "大图.png", "mimeType": "image/png", "buffer": b"0" * 5000},
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
    ])
    items = form_page.page.locator('[data-file-list-for="f-supplement_files"] li').all_inner_texts()
    assert [" ".join(i.split()) for i in items] == [
        "合同.pdf 504 B", "大图.png 5 KB 超过单个文件 1 KB 的上限，提交时会被拒绝", "setup.exe 2 B 不支持此文件类型"]


# -- layout ---------------------------------------------------------------------------------------------

def _box(page, selector):
    return page.locator(selector).bounding_box()


def test_labels_sit_beside_inputs_on_a_desk_and_above_them_on_a_phone(open_form):
    desk = open_form(load("forms", "complaint")).page
    phone = open_form(load("forms", "complaint"), viewport=PHONE).page
    label, field = '[for="f-complainant.name"]', '[id="f-complainant.name"]'
    assert _box(desk, label)["x"] + _box(desk, label)["width"] <= _box(desk, field)["x"]
    assert _box(phone, label)["y"] + _box(phone, label)["height"] <= _box(phone, field)["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
