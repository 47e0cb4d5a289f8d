"""The public complaint page's form: the deployed intake schema drawn in sections.

The schema keeps `facts`, `demands` and `attachments` at its top level (the API's shape), but the
page shows them in two sections of their own, "投诉事实与诉求" and "证明材料". The page form
therefore nests them under two display groups (`statement.facts`, `evidence.attachments`, …);
`ungroup` moves them back before validation and `errors_to_page` moves error paths the other
way. On the public page the channel is fixed server-side (the credit site's complaint column) and
never shown; an intake officer registering a complaint received by phone, letter or another
platform picks the channel (`show_channel=True`)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping

from flask_babel import gettext as _

from app.services import definitions, intake
from app.services.engine_context import EngineContext
from app.task_forms import FieldSpec, FormSpec, load_form
from app.web.staff_labels import region_label

PUBLIC_CHANNEL = "credit_site_column"
HIDDEN = ("channel",)
INTAKE_UI = intake.INTAKE_FORM.replace(".schema.json", ".ui.json")


@dataclass(frozen=True)
class Group:
    key: str
    members: tuple[str, ...]


GROUPS = (Group("statement", ("facts", "demands")), Group("evidence", ("attachments",)))
_GROUP_OF = {member: g.key for g in GROUPS for member in g.members}


def _group_texts() -> dict[str, tuple[str, str]]:
    return {"statement": (_("投诉事实与诉求"), _("请如实写明协议或合同的约定、被投诉主体违约毁约的经过，以及您的具体诉求。")),
            "evidence": (_("证明材料"), _("请上传协议或合同、付款凭证、验收材料、往来函件、催告记录等能证明违约事实的材料（可选，可在办理中补充）。"))}


def _renamed(spec: FieldSpec, prefix: str) -> FieldSpec:
    name = prefix + spec.name
    return replace(spec, name=name, children=[_renamed(c, prefix) for c in spec.children])


def page_form(schema: dict, ui: dict | None, *, show_channel: bool = False) -> FormSpec:
    """The intake schema as the page draws it: facts/demands and attachments in groups; the channel
    only when an intake officer registers the complaint."""
    form = load_form(schema, ui)
    hidden = () if show_channel else HIDDEN
    texts = _group_texts()
    fields: list[FieldSpec] = []
    placed: set[str] = set()
    by_name = {f.name: f for f in form.fields}
    for spec in form.fields:
        if spec.name in hidden:
            continue
        group_key = _GROUP_OF.get(spec.name)
        if group_key is None:
            fields.append(spec)
            continue
        if group_key in placed:
            continue
        placed.add(group_key)
        group = next(g for g in GROUPS if g.key == group_key)
        children = [_renamed(by_name[m], group_key + ".") for m in group.members if m in by_name]
        if group_key == "evidence":
            children = [replace(c, title=_("上传文件"), description="") for c in children]
        title, description = texts[group_key]
        fields.append(FieldSpec(name=group_key, title=title, description=description, type="object",
                                widget="section", children=children))
    return FormSpec(schema=form.schema, ui=form.ui, title=form.title, description=form.description, fields=fields)


def load_page_form(ctx: EngineContext, *, show_channel: bool = False) -> FormSpec:
    schema = intake.intake_schema(ctx)
    definition = definitions.latest(ctx.session, intake.LIFECYCLE_KEY)
    return page_form(schema, definition.form(INTAKE_UI) if definition else None, show_channel=show_channel)


def ungroup(data: dict, *, public: bool = True) -> dict:
    """Page data → intake data in the schema's shape; the public page's channel is always the credit
    site's column, whatever was posted."""
    for group in GROUPS:
        inner = data.pop(group.key, None)
        if isinstance(inner, dict):
            data.update(inner)
    if public:
        data["channel"] = PUBLIC_CHANNEL
    return data


def _page_name(path: str) -> str:
    head = path.split(".", 1)[0]
    group = _GROUP_OF.get(head)
    if group is None:
        return path
    if head == "attachments":
        return f"{group}.attachments"  # one file's name error belongs to the file field
    return f"{group}.{path}"


def errors_to_page(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        bucket = out.setdefault(_page_name(path), [])
        bucket.extend(m for m in messages if m not in bucket)
    return out


def org_options(ctx: EngineContext) -> list[dict]:
    """The respondent picker's directory: every organisation except the coordinating offices
    (信用办, 营商办), city level first, then by region and name."""
    entries = [e for e in ctx.directory.by_code.values() if e.kind != "coordination_office"]
    entries.sort(key=lambda e: (e.region_code != "340300", e.region_code, e.level != "county", e.code))
    return [{"code": e.code, "name": e.name, "region_name": region_label(e.region_code), "kind": e.kind}
            for e in entries]
