"""Files uploaded on the models page into a process's draft.

The upload is merged over the draft (or, when there is none yet, over the latest deployed files)
and checked with the model services (hardened XML parser, size caps, BPMN/DMN parse, form JSON,
lint). It is refused as a whole — nothing saved — when it adds a problem that makes a file
unusable (not UTF-8, not XML, an entity bomb, not BPMN, a form that is not JSON, too large, a bad
name or type); every such problem names the file (and element). Lint problems (an unknown form, a
missing due rule) do not refuse it: a draft may be half-done, and the page shows them."""
from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from app.errors import InvalidSubmission, Problem
from app.policy import Actor
from app.services import model_admin, model_drafts
from app.services.engine_context import EngineContext

# problem codes of files that cannot be parsed at all (the rest are lint findings)
UNUSABLE = frozenset({"xml", "bpmn", "schema", "empty", "no-process", "encoding", "size", "file-name", "file-type",
                      "file", "form-json", "form-size"})


@dataclass
class UploadOutcome:
    saved: list[str] = field(default_factory=list)         # file names now in the draft
    refused: list[Problem] = field(default_factory=list)   # why nothing was saved
    problems: list[Problem] = field(default_factory=list)  # the draft's problems after saving


def read_uploads(files: MultiDict, field_name: str, max_file_bytes: int) -> dict[str, bytes]:
    """{file name: bytes} of the chosen files; a file over the cap is read only just past it (the check
    names it). Raises InvalidSubmission for a file without a name or a name chosen twice."""
    out: dict[str, bytes] = {}
    for storage in files.getlist(field_name):
        raw_name = storage.filename or ""
        name = raw_name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            if raw_name or storage.stream.read(1):
                raise InvalidSubmission({field_name: ["every uploaded file needs a file name"]})
            continue  # the browser sends an empty part when no file was chosen
        if name in out:
            raise InvalidSubmission({field_name: [f"{name}: uploaded twice"]})
        out[name] = storage.stream.read(max_file_bytes + 1)
    return out


def _key(problem: Problem) -> tuple:
    return (problem.file, problem.element_id, problem.code, problem.message)


def _as_bytes(texts: dict[str, str]) -> dict[str, bytes]:
    return {name: text.encode("utf-8") for name, text in texts.items()}


def unusable(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.code in UNUSABLE]


def upload_into_draft(ctx: EngineContext, actor: Actor, key: str, uploads: dict[str, bytes],
                      max_file_bytes: int) -> UploadOutcome:
    """Merge `uploads` into the draft of `key` and save it, or refuse the whole upload. Runs in the
    caller's transaction (it writes only when nothing is refused)."""
    model_admin.require_owner(actor)
    if not uploads:
        return UploadOutcome(refused=[Problem(message="no files uploaded", code="empty")])
    draft = model_drafts.get_draft(ctx.session, actor, key)
    current = draft["files"]
    before = {_key(p) for p in unusable(model_admin.validate_upload(_as_bytes(current), max_file_bytes))}
    merged = {**_as_bytes(current), **uploads}
    after = model_admin.validate_upload(merged, max_file_bytes)
    refused = [p for p in unusable(after) if _key(p) not in before]
    # a problem in an uploaded file refuses the upload even when the draft had the same one before
    refused += [p for p in unusable(after) if p.file in uploads and p not in refused]
    if refused:
        return UploadOutcome(refused=refused)
    texts = dict(current)
    for name, data in uploads.items():
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # forms are parsed as JSON above; this is belt and braces
            return UploadOutcome(refused=[Problem(message=f"not UTF-8 text: byte {exc.start}", file=name,
                                                  code="encoding")])
    problems = model_drafts.save_draft(ctx, actor, key, texts, draft.get("note") or "", max_file_bytes)
    return UploadOutcome(saved=sorted(uploads), problems=problems)
