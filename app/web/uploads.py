"""File fields of a page form: the browser's uploads become checked PreparedUploads plus the data
values of those fields (the file names), and files already accepted survive a re-render.

When a page comes back with errors the browser forgets every chosen file. So each accepted file
is written at once to the attachments folder (content-addressed, disk only: no row until the
real submit) and the page carries a signed hidden token per file (field, sha256, name, size and
the visitor's session binding; itsdangerous with the app secret). The next submit reuses the file
from disk without a new upload; unticking the file's box removes it. A token that was tampered
with, has expired, belongs to another session or whose file is gone is never trusted: the field
says "choose the file again".
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any, Iterable, Mapping

from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.errors import InvalidSubmission
from app.services.attachments import PreparedUpload, blob_path, prepare_upload, write_blob
from app.task_forms import FormSpec

KEPT_PREFIX = "_kept:"             # hidden/checkbox input carrying a kept file's token: _kept:<field>
TOKEN_SALT = "lvyue.kept-upload"
TOKEN_MAX_AGE = 24 * 3600          # a page left open longer asks for its files again


@dataclass(frozen=True)
class KeptFile:
    """An accepted file carried across a re-render by its signed token."""

    field: str
    filename: str
    sha256: str
    size: int
    token: str


@dataclass
class FileInput:
    uploads: list[PreparedUpload] = dc_field(default_factory=list)   # for store_attachments
    values: dict[str, Any] = dc_field(default_factory=dict)          # field path -> name or [names]
    kept: dict[str, list[KeptFile]] = dc_field(default_factory=dict)  # field path -> files to carry over
    errors: dict[str, list[str]] = dc_field(default_factory=dict)

    def error(self) -> InvalidSubmission | None:
        return InvalidSubmission(self.errors) if self.errors else None


def file_field_names(form: FormSpec) -> list[str]:
    """Dotted paths of the form's file-widget fields (fields inside repeating rows are not supported)."""
    return [spec.name for spec in form.iter_fields() if spec.widget == "file" and "*" not in spec.name]


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)


def sign_kept(secret_key: str, field: str, upload: PreparedUpload, binding: str = "") -> KeptFile:
    token = _serializer(secret_key).dumps({"f": field, "s": upload.sha256, "n": upload.filename, "z": upload.size,
                                           "b": binding})
    return KeptFile(field, upload.filename, upload.sha256, upload.size, token)


def read_kept(secret_key: str, token: str, *, max_age: int = TOKEN_MAX_AGE, binding: str = "") -> KeptFile | None:
    """The kept file a token names, or None when the token is forged, altered, expired or was
    issued to another session (`binding`)."""
    try:
        body = _serializer(secret_key).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(body, dict) or body.get("b", "") != binding:
        return None
    field, sha, name, size = body.get("f"), body.get("s"), body.get("n"), body.get("z")
    if not (isinstance(field, str) and isinstance(sha, str) and isinstance(name, str) and isinstance(size, int)):
        return None
    try:
        blob_path(".", sha)
    except ValueError:
        return None
    return KeptFile(field, name, sha, size, token)


def _reload(storage_dir: Path | str, kept: KeptFile) -> bytes | None:
    path = blob_path(storage_dir, kept.sha256)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == kept.sha256 and len(data) == kept.size else None


def _getlist(source: Any, name: str) -> list:
    if source is None:
        return []
    if hasattr(source, "getlist"):
        return source.getlist(name)
    value = source.get(name) if isinstance(source, Mapping) else None
    return [] if value is None else list(value) if isinstance(value, (list, tuple)) else [value]


def read_file_fields(form: FormSpec, files: Any, fields_in: Any, *, storage_dir: Path | str, secret_key: str,
                     max_bytes: int, locale: str = "zh", binding: str = "") -> FileInput:
    """Check the new uploads and the kept tokens of every file field of `form`.

    `files` is request.files (name -> FileStorage, several per name allowed); `fields_in` is
    request.form (the `_kept:<field>` tokens the user left ticked); `binding` ties tokens to the
    visitor's session. Accepted new files are written to `storage_dir` at once so a re-render can
    offer them again."""
    result = FileInput()
    for name in file_field_names(form):
        spec = form.field(name)
        accepted: list[tuple[PreparedUpload, KeptFile]] = []
        seen: set[str] = set()
        messages: list[str] = []
        for token in _getlist(fields_in, KEPT_PREFIX + name):
            kept = read_kept(secret_key, str(token), binding=binding)
            data = _reload(storage_dir, kept) if kept is not None and kept.field == name else None
            if data is None:
                messages.append(_("之前上传的文件已失效，请重新选择文件。"))
                continue
            try:
                upload = prepare_upload(name, kept.filename, data, max_bytes=max_bytes, locale=locale)
            except InvalidSubmission as refused:
                messages.extend(refused.errors.get(name, []))
                continue
            if upload.sha256 not in seen:
                seen.add(upload.sha256)
                accepted.append((upload, kept))
        for storage in _getlist(files, name):
            filename = getattr(storage, "filename", None) or ""
            if not filename:
                continue  # an empty file input
            data = storage.read()
            try:
                upload = prepare_upload(name, filename, data, max_bytes=max_bytes, locale=locale)
            except InvalidSubmission as refused:
                messages.extend(f"{filename}: {m}" for m in refused.errors.get(name, []))
                continue
            if upload.sha256 in seen:
                continue
            write_blob(storage_dir, upload.sha256, upload.data)
            seen.add(upload.sha256)
            accepted.append((upload, sign_kept(secret_key, name, upload, binding)))
        if not spec.multiple and len(accepted) > 1:
            accepted = accepted[-1:]  # a single-file field: the newest choice replaces the kept one
        if messages:
            result.errors[name] = messages
        if accepted:
            result.uploads.extend(u for u, _k in accepted)
            result.kept[name] = [k for _u, k in accepted]
            names = [u.filename for u, _k in accepted]
            result.values[name] = names if spec.multiple else names[0]
    return result


def put_values(data: dict, values: Mapping[str, Any]) -> dict:
    """Set dotted-path values into nested form data (in place; returns `data`)."""
    for path, value in values.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return data


def kept_names(kept: Mapping[str, Iterable[KeptFile]]) -> dict[str, list[str]]:
    return {name: [k.filename for k in files] for name, files in kept.items()}
