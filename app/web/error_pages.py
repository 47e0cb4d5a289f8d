"""Error pages for people (the API answers JSON): clear, localised, never a stack trace."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from app.errors import Conflict, NotAllowed, NotFound, TaskNotAvailable


def _texts(code: int, exc) -> tuple[str, str]:
    if isinstance(exc, CSRFError):
        return _("页面已过期"), _("表单校验令牌缺失或已失效（可能页面停留过久或已退出登录）。请返回、刷新页面后重新提交。")
    if isinstance(exc, TaskNotAvailable):
        return _("任务已不可办理"), _("该任务已被他人办结，或已因期限到达、撤回等原因取消。请回到待办列表查看最新状态。")
    if isinstance(exc, (NotFound,)) or code == 404:
        return _("未找到"), _("您要查看的页面或案件不存在，或不在您的办理范围内。")
    if isinstance(exc, NotAllowed) or code == 403:
        return _("无权操作"), _("您没有执行此操作的权限。")
    if isinstance(exc, Conflict) or code == 409:
        return _("状态已变化"), _("案件已被他人更新，请刷新后查看最新状态再操作。")
    if code == 405:
        return _("不支持的请求"), _("该页面不支持此操作。")
    if code == 413:
        return _("文件过大"), _("上传的内容超过了大小限制。")
    if code == 429:
        return _("请求过于频繁"), _("错误次数过多，请稍后再试。")
    if code >= 500:
        return _("系统繁忙"), _("系统内部错误，本次操作未保存任何内容。请稍后重试；如仍有问题请联系管理员。")
    return _("请求有误"), _("请求无法处理，请返回后重试。")


def error_page(code: int, exc=None):
    title, message = _texts(code, exc)
    back = request.referrer if request.referrer and request.referrer.startswith(request.host_url) else url_for("public.home")
    return render_template("errors/error.html", code=code, title=title, message=message, back_url=back), code
