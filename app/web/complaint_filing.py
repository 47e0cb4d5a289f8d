"""Filing a complaint from a page (the public form, or an intake officer registering a complaint
received by phone, letter or another platform): one write transaction that validates, registers
the case, starts its process and stores the attachments — or nothing at all."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from app.db import db
from app.errors import Conflict, InvalidSubmission
from app.policy import Actor
from app.services import intake
from app.services.attachments import store_attachments
from app.task_forms import FormSpec, coerce, collect_errors
from app.web import complaint_form
from app.web.i18n import current_locale
from app.web.pages import engine_context, write_transaction
from app.web.uploads import FileInput, put_values


@dataclass(frozen=True)
class Filed:
    case_no: str
    case_id: int
    query_code: str


@dataclass
class Refused:
    status: int  # 422 field errors, 409 duplicate open complaint or a numbering race
    errors: dict[str, list[str]] = field(default_factory=dict)
    duplicate_case_no: str | None = None  # "" for a race that is worth one more click


def merge_errors(*error_maps) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for errors in error_maps:
        for name, messages in (errors or {}).items():
            bucket = out.setdefault(name, [])
            bucket.extend(m for m in messages if m not in bucket)
    return out


def file_from_page(form: FormSpec, files: FileInput, *, actor: Actor, public: bool) -> Filed | Refused:
    """`actor` files the complaint: the public complainant (Actor.complainant(None)) or an intake
    officer, whose org becomes the accepting unit. Uploaded files are the complainant's material and
    visible to them."""
    locale = current_locale()
    data = complaint_form.ungroup(put_values(coerce(form, request.form), files.values), public=public)
    storage = current_app.extensions["lvyue.settings"].attachments_path
    for attempt in (1, 2):
        try:
            with write_transaction():
                ctx = engine_context()
                problems = collect_errors(intake.intake_schema(ctx), data, locale=locale,
                                          org_codes=set(ctx.directory.by_code))
                if problems or files.errors:
                    raise InvalidSubmission(problems)
                registered = intake.register_complaint(ctx, actor, data, locale=locale)
                case = registered.case
                uploader = Actor.complainant(case.id) if public else actor
                store_attachments(db.session, storage, ctx.now, uploader, case.id, files.uploads, public=True)
                return Filed(case.case_no, case.id, registered.query_code)
        except IntegrityError:  # two first filings of a year raced for the year's number row
            if attempt == 2:
                return Refused(409, dict(files.errors), "")
        except InvalidSubmission as exc:
            return Refused(422, merge_errors(complaint_form.errors_to_page(exc.errors), files.errors))
        except Conflict as exc:
            return Refused(409, dict(files.errors), exc.details.get("existing_case_no") or "")
    raise AssertionError("unreachable")  # pragma: no cover
