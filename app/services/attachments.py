"""Attachments of a case: check an upload (type told from its content), store it outside the
database under its sha256 (atomic write, identical content kept once), open it for those who may
read it.

The bytes are written when `store_attachments` runs, before the caller commits: a rolled-back
transaction leaves at most an unreferenced file (content-addressed, harmless), never a row that
points at nothing."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.errors import InvalidSubmission, NotFound
from app.models import Attachment, Case
from app.policy import Actor, can_read_attachment, can_view_case
from app.services import audit
from app.services.file_types import Refused, clean_filename, extension, sniff

_MESSAGES: dict[str, dict[str, str]] = {
    "empty": {"zh": "文件为空，请选择有内容的文件", "en": "the file is empty"},
    "too_big": {"zh": "文件过大：单个文件不能超过 {mb} MB", "en": "the file is too large: at most {mb} MB per file"},
    "not_allowed": {
        "zh": "不支持此文件类型。可上传 PDF、OFD、图片（PNG、JPEG、GIF、WEBP）、Word/Excel/PowerPoint 文档"
              "（.doc .docx .xls .xlsx .ppt .pptx）或纯文本（.txt）",
        "en": "this file type is not accepted. Upload PDF, OFD, images (PNG, JPEG, GIF, WEBP), Word/Excel/PowerPoint "
              "documents (.doc .docx .xls .xlsx .ppt .pptx) or plain text (.txt)",
    },
    "executable": {"zh": "不允许上传可执行程序或脚本文件", "en": "programs and scripts cannot be uploaded"},
    "macro": {
        "zh": "不允许上传含宏或 ActiveX 控件的 Office 文档，请另存为 .docx、.xlsx 或 .pptx 后再上传",
        "en": "Office documents with macros or ActiveX controls cannot be uploaded; save as .docx, .xlsx or .pptx",
    },
    "archive_executable": {
        "zh": "文件中包含可执行程序或脚本，不能上传", "en": "the file contains a program or script and cannot be uploaded",
    },
    "script_carrier": {
        "zh": "不允许上传网页、SVG 或 XML 文件（可能含有脚本），请转换为 PDF 后上传",
        "en": "web pages, SVG and XML files (which may carry scripts) cannot be uploaded; convert to PDF first",
    },
    "active_pdf": {
        "zh": "此 PDF 含有脚本、启动命令或嵌入文件，不能上传，请重新导出为普通 PDF",
        "en": "this PDF contains scripts, launch actions or embedded files; export it again as a plain PDF",
    },
    "too_many_parts": {
        "zh": "文件内部条目过多（超过 {limit} 个），无法检查", "en": "the file holds too many parts (over {limit}) to check",
    },
    "damaged": {"zh": "文件已损坏、已加密或无法检查", "en": "the file is damaged, encrypted or cannot be checked"},
    "mismatch": {
        "zh": "文件内容是 {kind}，与扩展名“{ext}”不符，请使用正确的扩展名（{expected}）",
        "en": "the content is {kind}, which does not match the extension “{ext}”; use {expected}",
    },
}


def upload_message(code: str, locale: str = "zh", **params) -> str:
    table = _MESSAGES.get(code, _MESSAGES["not_allowed"])
    return table.get(locale, table["zh"]).format(**params)


def _megabytes(limit: int) -> str:
    return f"{max(round(limit / 1_000_000, 1), 0.1):g}"


@dataclass(frozen=True)
class PreparedUpload:
    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes
    field: str | None = None  # the form field path it was uploaded in


def prepare_upload(field: str, filename: str, data: bytes, *, max_bytes: int, locale: str = "zh") -> PreparedUpload:
    """Check one uploaded file; raises InvalidSubmission({field: [message]}) when it is refused."""

    def refuse(code: str, **params):
        raise InvalidSubmission({field: [upload_message(code, locale, **params)]})

    if not data:
        refuse("empty")
    if len(data) > max_bytes:
        refuse("too_big", mb=_megabytes(max_bytes))
    name = clean_filename(filename)
    ext = extension(name)
    try:
        kind = sniff(data, ext)
    except Refused as exc:
        params = dict(exc.params)
        if exc.code == "mismatch" and not params.get("ext"):
            params["ext"] = "（无）" if locale == "zh" else "(none)"
        refuse(exc.code, **params)
    return PreparedUpload(filename=name, content_type=kind.content_type, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), data=data, field=field or None)


# -- storage -------------------------------------------------------------------------------------

def blob_path(storage_dir: Path | str, sha256: str) -> Path:
    """<storage>/ab/cd/abcdef… — content-addressed, fanned out so no folder grows too large."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a sha256 hex digest")
    return Path(storage_dir) / sha256[:2] / sha256[2:4] / sha256


def _file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def write_blob(storage_dir: Path | str, sha256: str, data: bytes) -> Path:
    """Write once per content: an intact copy already there is kept; otherwise a temporary file
    in the same folder is written, synced and renamed over the target (never a half file)."""
    target = blob_path(storage_dir, sha256)
    if target.exists() and _file_sha256(target) == sha256:
        try:
            os.utime(target)  # a fresh mtime: the store's clean-up (attachment_cleanup) leaves it alone
            return target
        except FileNotFoundError:
            pass  # the clean-up removed it just now: write it again
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def store_attachments(session: Session, storage_dir: Path | str, now: datetime, actor: Actor, case_id: int,
                      uploads: list[PreparedUpload], *, task_id: str | None = None,
                      public: bool = False) -> list[Attachment]:
    """Store checked uploads for a case (one audit entry for all). The complainant's own uploads
    are always visible to them. NotFound when the actor may not see the case."""
    case = session.get(Case, case_id)
    if case is None or not can_view_case(actor, case):
        raise NotFound("case not found")
    if not uploads:
        return []
    public = public or actor.kind == "complainant"
    rows = []
    for upload in uploads:
        if hashlib.sha256(upload.data).hexdigest() != upload.sha256:
            raise ValueError("upload content changed after it was checked")
        write_blob(storage_dir, upload.sha256, upload.data)
        rows.append(Attachment(
            case_id=case.id, task_id=task_id, field=upload.field, filename=upload.filename,
            content_type=upload.content_type, size=upload.size, sha256=upload.sha256, uploaded_at=now,
            uploaded_by_id=actor.user_id, uploaded_by_label=actor.label, public=public,
        ))
    session.add_all(rows)
    session.flush()
    audit.append(session, actor, "attachments_added", now, case_id=case.id, instance_id=case.instance_id,
                 detail={"task_id": task_id, "public": public,
                         "files": [{"id": r.id, "filename": r.filename, "sha256": r.sha256, "size": r.size}
                                   for r in rows]},
                 public=public)
    return rows


def open_attachment(session: Session, storage_dir: Path | str, actor: Actor, attachment_id) -> tuple[Attachment, Path]:
    """The row and the path of its intact file. NotFound for anyone who may not read it, and when
    the file is missing or no longer matches its sha256 (never serve altered content)."""
    try:
        attachment = session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        attachment = None
    case = session.get(Case, attachment.case_id) if attachment is not None else None
    if attachment is None or not can_read_attachment(actor, attachment, case):
        raise NotFound("attachment not found")
    path = blob_path(storage_dir, attachment.sha256)
    if _file_sha256(path) != attachment.sha256:
        raise NotFound("attachment file is missing or damaged")
    return attachment, path
