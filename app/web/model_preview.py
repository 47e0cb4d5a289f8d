"""Sample due dates for the modeler's properties panel: what a user task's due rule or a timer
event's expression gives for a sample case, computed with the working calendar and the restricted
script environment (the same helpers and builtins the engine gives a model). Nothing is written.

A timer expression is evaluated like the engine does (task data as its names) and its result is read
by the engine's own parsers (`model_admin.timer_first_due`): `timeDate` a datetime (naive = Beijing
time), `timeDuration` a duration (`P10D`, `PT4H`) after the sample start, `timeCycle` a repetition
(`R/P2D`, `R3/PT1H`, `R/<start>/P1D`) whose first firing is shown. Messages are in the page language."""
from __future__ import annotations

import ast
import re
from datetime import datetime

from flask_babel import gettext as _

from app import clock
from app.calendar import compute_due
from app.errors import CalendarNotCovered
from app.services import model_admin
from app.services.engine_context import HELPER_NAMES, EngineContext
from app.web.staff_labels import due_rule_label
from app.web.template_helpers import local_datetime

TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
MAX_EXPRESSION = 2000
_UNTIL = re.compile(r"^\s*until\s+([A-Za-z_][A-Za-z0-9_.]*)\s*$", re.IGNORECASE)
_BUILTIN_NAMES = frozenset({"True", "False", "None", "len", "str", "int", "float", "bool", "round", "abs", "min",
                            "max", "sum", "sorted", "any", "all", "enumerate", "range", "zip", "list", "dict", "set",
                            "tuple", "isinstance", "map", "filter", "reversed"})


def parse_start(text, now: datetime) -> datetime:
    """The sample start: 'YYYY-MM-DDTHH:MM' (a datetime-local input, Asia/Shanghai) or now."""
    if isinstance(text, str) and text.strip():
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(_("示例开始时间格式不正确")) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.SHANGHAI)
        return moment
    return clock.local(now)


def _result(due: datetime, **extra) -> dict:
    return {"ok": True, "due_at": due.isoformat(), "due_label": local_datetime(due), **extra}


def _failure(message: str, **extra) -> dict:
    return {"ok": False, "error": message, **extra}


def _calendar_message(exc: CalendarNotCovered) -> str:
    match = re.search(r"\b(\d{4})\b", exc.message or "")
    return _("工作日历尚未覆盖 %(year)s 年，无法计算期限（请先在工作日历页面导入该年安排）",
             year=match.group(1) if match else "?")


def due_rule_preview(ctx: EngineContext, rule, start: datetime, data: dict) -> dict:
    """{ok, due_at, due_label, rule_label, variables} or {ok: False, error, variables}."""
    if not isinstance(rule, str) or not rule.strip():
        return _failure(_("未设置办理时限"), variables=[])
    until = _UNTIL.match(rule)
    variables = [until.group(1)] if until else []
    try:
        deadline = compute_due(rule, start, ctx.calendar, data)
    except CalendarNotCovered as exc:
        return _failure(_calendar_message(exc), variables=variables)
    except (TypeError, ValueError) as exc:
        if until and "is not set" in str(exc):
            return _failure(_("请为变量 %(name)s 填写示例值", name=until.group(1)), variables=variables)
        if until:
            return _failure(_("变量 %(name)s 的示例值不是日期或日期时间", name=until.group(1)), variables=variables)
        return _failure(_("时限规则应写作“N workdays”（工作日）、“N days”（自然日）或“until 变量名”"), variables=[])
    return _result(deadline.due_at, rule_label=due_rule_label(deadline.rule), variables=variables)


def expression_variables(expression: str) -> list[str]:
    """Names an expression reads that are neither helpers nor builtins (the sample data it needs)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return []
    names = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    bound = {a.arg for n in ast.walk(tree) if isinstance(n, ast.Lambda) for a in n.args.args}
    bound |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    skip = set(HELPER_NAMES) | _BUILTIN_NAMES | bound
    return list(dict.fromkeys(n for n in names if n not in skip))


def timer_preview(ctx: EngineContext, kind, expression, start: datetime, data: dict) -> dict:
    """{ok, due_at, due_label, value, repeats, variables} or {ok: False, error, variables}."""
    if kind not in TIMER_KINDS:
        return _failure(_("请选择定时类型"), variables=[])
    if not isinstance(expression, str) or not expression.strip():
        return _failure(_("未填写定时表达式"), variables=[])
    if len(expression) > MAX_EXPRESSION:
        return _failure(_("定时表达式过长"), variables=[])
    variables = expression_variables(expression)
    missing = [name for name in variables if name not in data]
    if missing:
        return _failure(_("请为变量 %(name)s 填写示例值", name=", ".join(missing)), variables=variables)
    try:
        value = ctx.env.evaluate(expression, dict(data))
    except CalendarNotCovered as exc:
        return _failure(_calendar_message(exc), variables=variables)
    except SyntaxError as exc:
        return _failure(_("表达式无法编译：%(error)s", error=exc.msg), variables=variables)
    except Exception as exc:  # noqa: BLE001 - whatever the model's expression raises is shown, not a 500
        detail = f"{type(exc).__name__}: {exc}"
        return _failure(_("表达式计算出错：%(error)s", error=detail), variables=variables)
    try:
        due, repeats = model_admin.timer_first_due(kind, value, start)
    except ValueError:
        expected = {"timeDate": _("日期时间，如 2026-03-20T17:00:00+08:00"), "timeDuration": _("时长，如 P10D、PT4H"),
                    "timeCycle": _("循环，如 R/P2D、R3/PT1H")}[kind]
        return _failure(_("表达式结果 %(value)s 不是此定时类型要求的格式（%(expected)s）", value=repr(value)[:200],
                          expected=expected), variables=variables)
    extra = {"repeats": repeats} if kind == "timeCycle" else {}
    return _result(due, value=value, variables=variables, **extra)
