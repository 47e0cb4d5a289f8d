"""Plain-language, localised validation messages (zh default, en).

Kept here as data because this layer must not import Flask-Babel; the keys are stable so the
web layer can map them to catalogue entries later if needed.
"""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"zh": "此项为必填项", "en": "this field is required"},
    "unknown_field": {"zh": "表单中没有此字段（未知字段）", "en": "unknown field: the form has no such field"},
    "type.string": {"zh": "应为文本", "en": "must be text"},
    "type.integer": {"zh": "应为整数", "en": "must be a whole number"},
    "type.number": {"zh": "应为数字", "en": "must be a number"},
    "type.boolean": {"zh": "应为“是”或“否”", "en": "must be yes or no"},
    "type.object": {"zh": "应为一组字段", "en": "must be a group of fields"},
    "type.array": {"zh": "应为列表", "en": "must be a list"},
    "type.null": {"zh": "应为空", "en": "must be empty"},
    "type": {"zh": "类型不正确", "en": "has the wrong type"},
    "enum": {"zh": "请从给定选项中选择", "en": "choose one of the given options"},
    "const.true": {"zh": "须勾选确认此项声明", "en": "this declaration must be confirmed"},
    "const": {"zh": "值必须为 {value}", "en": "must be {value}"},
    "minLength": {"zh": "至少需要 {limit} 个字符", "en": "must be at least {limit} characters long"},
    "maxLength": {"zh": "最多 {limit} 个字符", "en": "must be at most {limit} characters long"},
    "minimum": {"zh": "不能小于 {limit}", "en": "must be at least {limit}"},
    "maximum": {"zh": "不能大于 {limit}", "en": "must be at most {limit}"},
    "exclusiveMinimum": {"zh": "必须大于 {limit}", "en": "must be greater than {limit}"},
    "exclusiveMaximum": {"zh": "必须小于 {limit}", "en": "must be less than {limit}"},
    "multipleOf": {"zh": "必须是 {limit} 的整数倍", "en": "must be a multiple of {limit}"},
    "pattern": {"zh": "格式不正确", "en": "is not in the expected format"},
    "minItems": {"zh": "至少选择或填写 {limit} 项", "en": "needs at least {limit} entries"},
    "maxItems": {"zh": "最多 {limit} 项", "en": "allows at most {limit} entries"},
    "uniqueItems": {"zh": "不能有重复项", "en": "must not contain duplicates"},
    "oneOf": {"zh": "不符合任何一种允许的填写方式", "en": "does not match any of the allowed forms"},
    "anyOf": {"zh": "不符合任何一种允许的填写方式", "en": "does not match any of the allowed forms"},
    "not": {"zh": "此值不被允许", "en": "this value is not allowed"},
    "invalid": {"zh": "填写内容无效", "en": "is invalid"},
    # formats
    "format": {"zh": "格式不正确", "en": "is not in the expected format"},
    "format.uscc.length": {
        "zh": "统一社会信用代码应为 18 位",
        "en": "the unified social credit code must be 18 characters long",
    },
    "format.uscc.charset": {
        "zh": "统一社会信用代码含有不允许的字符（只允许数字和除 I、O、Z、S、V 以外的大写字母）",
        "en": "the unified social credit code contains an illegal character "
              "(only digits and capital letters except I, O, Z, S, V)",
    },
    "format.uscc.authority": {
        "zh": "统一社会信用代码第 1 位（登记管理部门代码）不正确",
        "en": "the first character (registration authority) of the unified social credit code is wrong",
    },
    "format.uscc.category": {
        "zh": "统一社会信用代码第 2 位（机构类别代码）不正确",
        "en": "the second character (entity category) of the unified social credit code is wrong",
    },
    "format.uscc.region": {
        "zh": "统一社会信用代码第 3–8 位应为行政区划代码（6 位数字）",
        "en": "characters 3–8 of the unified social credit code must be a six-digit region code",
    },
    "format.uscc.check": {
        "zh": "统一社会信用代码校验位不正确",
        "en": "check character of the unified social credit code is wrong",
    },
    "format.cn-id.length": {"zh": "居民身份证号码应为 18 位", "en": "the resident ID number must be 18 characters long"},
    "format.cn-id.charset": {
        "zh": "居民身份证号码应为 17 位数字加 1 位数字或 X",
        "en": "the resident ID number must be 17 digits followed by a digit or X",
    },
    "format.cn-id.birth_date": {
        "zh": "居民身份证号码中的出生日期不存在",
        "en": "the birth date in the resident ID number does not exist",
    },
    "format.cn-id.check": {
        "zh": "居民身份证号码校验位不正确",
        "en": "check character of the resident ID number is wrong",
    },
    "format.cn-mobile": {
        "zh": "手机号码应为 11 位数字，以 13–19 开头",
        "en": "a mobile number has 11 digits starting with 13–19",
    },
    "format.cn-phone": {
        "zh": "请填写 11 位手机号码或带区号的固定电话（如 0552-3123097）",
        "en": "enter an 11-digit mobile number or a landline with area code (e.g. 0552-3123097)",
    },
    "format.money": {
        "zh": "金额应为不小于 0 的数字，最多两位小数，且不超过 10 万亿元",
        "en": "an amount must be a number of at least 0 with at most two decimals and at most 10^13",
    },
    "format.date": {"zh": "日期应为 YYYY-MM-DD 格式的真实日期", "en": "must be a real date as YYYY-MM-DD"},
    "format.date-time": {
        "zh": "时间应为带时区的日期时间（如 2026-03-01T10:30:00+08:00）",
        "en": "must be a date and time with offset (e.g. 2026-03-01T10:30:00+08:00)",
    },
    "format.email": {"zh": "电子邮箱地址格式不正确", "en": "is not a valid email address"},
    "format.org-code": {"zh": "单位代码不存在", "en": "no organisation has this code"},
    "format.org-code.pattern": {
        "zh": "单位代码格式不正确（大写字母、数字和连字符）",
        "en": "an organisation code consists of capital letters, digits and hyphens",
    },
}


def language(locale: str | None) -> str:
    """'zh', 'zh_Hans_CN', 'en-GB' … → 'zh' or 'en' (unknown languages fall back to zh)."""
    lang = (locale or "zh").replace("-", "_").split("_", 1)[0].lower()
    return lang if lang in ("zh", "en") else "zh"


def message(key: str, locale: str | None = "zh", **params) -> str:
    entry = MESSAGES.get(key) or MESSAGES["invalid"]
    return entry[language(locale)].format(**params)
