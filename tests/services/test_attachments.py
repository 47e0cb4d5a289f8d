"""Attachments: the type is told from the content (hostile uploads refused with a clear message),
files are stored once per content outside the database, and only those who may read them can open them."""
from __future__ import annotations

import copy
import io
import struct
import tracemalloc
import zipfile

import pytest
from sqlalchemy import select

from app import clock
from app.db import db, unit_of_work
from app.errors import InvalidSubmission, NotFound
from app.models import AuditEvent, User
from app.policy import Actor
from app.queries.documents import attachments_for_case
from app.services import intake
from app.services.accounts import actor_for
from app.services.attachments import blob_path, open_attachment, prepare_upload, store_attachments
from app.services.engine_context import EngineContext
from tests.lifecycle_paths import SAMPLE_COMPLAINT

LIMIT = 2_000_000


# -- tiny samples ------------------------------------------------------------------------------

def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def _content_types(main_part: str, main_type: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="application/vnd.{main_type}"/></Types>'
    ).encode()


def ooxml(folder: str, main: str, main_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    members = {
        "[Content_Types].xml": _content_types(f"{folder}/{main}", main_type),
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        f"{folder}/{main}": b'<?xml version="1.0"?><root/>',
    }
    members.update(extra or {})
    return _zip(members)


DOCX = ooxml("word", "document.xml", "openxmlformats-officedocument.wordprocessingml.document.main+xml")
XLSX = ooxml("xl", "workbook.xml", "openxmlformats-officedocument.spreadsheetml.sheet.main+xml")
PPTX = ooxml("ppt", "presentation.xml", "openxmlformats-officedocument.presentationml.presentation.main+xml")
OFD = _zip({"OFD.xml": b'<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"/>',
            "Doc_0/Document.xml": b"<ofd:Document/>"})


def ole2(*streams: str) -> bytes:
    """An OLE2 compound-file header followed by one directory sector naming the streams."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HHH", 0x3E, 3, 0xFFFE)
    header = header.ljust(512, b"\x00")
    entries = b""
    for name in ("Root Entry", *streams):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entries += raw.ljust(64, b"\x00") + struct.pack("<H", len(raw)) + bytes(62)
    return header + entries.ljust(512, b"\x00")


PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17) + b"\x00\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(44) + b"\x80\x00\x00\x00" + bytes(64) + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)

ACCEPTED = [
    ("申请书.pdf", PDF, "application/pdf"),
    ("照片.png", PNG, "image/png"),
    ("现场.JPG", JPEG, "image/jpeg"),
    ("scan.jpeg", JPEG, "image/jpeg"),
    ("a.gif", GIF, "image/gif"),
    ("a.webp", WEBP, "image/webp"),
    ("电子发票.ofd", OFD, "application/ofd"),
    ("合同.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台账.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("汇报.pptx", PPTX, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("旧合同.doc", ole2("WordDocument", "1Table"), "application/msword"),
    ("旧台账.xls", ole2("Workbook"), "application/vnd.ms-excel"),
    ("旧汇报.ppt", ole2("PowerPoint Document", "Current User"), "application/vnd.ms-powerpoint"),
    ("说明.txt", "工程款尚欠 125000 元。\r\n\t请协调。".encode("utf-8"), "text/plain; charset=utf-8"),
    ("bom.txt", "\ufeff带 BOM 的文本".encode("utf-8"), "text/plain; charset=utf-8"),
    ("国标.txt", "国标编码的说明文字，共计十二万五千元整".encode("gb18030"), "text/plain; charset=gb18030"),
]


@pytest.mark.parametrize("name,data,content_type", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_allowed_types_are_accepted_by_their_content(name, data, content_type):
    upload = prepare_upload("files", name, data, max_bytes=LIMIT)
    assert (upload.filename, upload.content_type, upload.size) == (name, content_type, len(data))
    assert len(upload.sha256) == 64 and upload.data == data and upload.field == "files"


def test_the_browser_mime_type_is_never_asked_for():
    # a PNG is a PNG whatever the browser said; the signature takes no content-type argument
    assert prepare_upload("f", "x.png", PNG, max_bytes=LIMIT).content_type == "image/png"


many_members = _zip({f"word/part{i}.xml": b"x" for i in range(1001)} | {"[Content_Types].xml": b"<Types/>"},
                    compression=zipfile.ZIP_STORED)


def _lying_count(data: bytes, count: int) -> bytes:
    """The end-of-central-directory record claims `count` entries whatever the directory holds."""
    end = data.rfind(b"PK\x05\x06")
    return data[:end + 8] + struct.pack("<HH", count, count) + data[end + 12:]

HOSTILE = [
    ("exe renamed .pdf", "invoice.pdf", EXE, "可执行程序"),
    ("ELF as .pdf", "report.pdf", ELF, "可执行程序"),
    ("ELF as .txt", "notes.txt", ELF, "可执行程序"),
    ("shebang script as .txt", "readme.txt", b"#!/bin/sh\necho hi\n", "可执行程序"),
    ("Mach-O", "app.png", b"\xcf\xfa\xed\xfe" + bytes(28), "可执行程序"),
    ("harmless bytes named .exe", "hello.exe", b"hello", "可执行程序"),
    ("script named .js", "a.js", b"alert(1)", "可执行程序"),
    ("batch file", "run.bat", b"@echo off\r\n", "可执行程序"),
    ("powershell", "x.ps1", b"Write-Host hi", "可执行程序"),
    ("jar", "x.jar", _zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"}), "可执行程序"),
    ("trailing dot hides .exe", "setup.exe.", EXE, "可执行程序"),
    ("RTL override hides .exe", "invoice\u202egpj.exe", EXE, "可执行程序"),
    ("zip with exe", "材料.zip", _zip({"readme.txt": b"hi", "setup.exe": EXE}), "包含可执行程序"),
    ("docx hiding a PE under an innocent name", "a.docx", ooxml(
        "word", "document.xml", "openxmlformats-officedocument.wordprocessingml.document.main+xml",
        {"word/media/image1.png": EXE}), "包含可执行程序"),
    ("docm by name", "宏.docm", DOCX, "含宏"),
    ("xlsm by name", "宏.xlsm", XLSX, "含宏"),
    ("docx with vbaProject.bin", "a.docx", ooxml(
        "word", "document.xml", "openxmlformats-officedocument.wordprocessingml.document.main+xml",
        {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}), "含宏"),
    ("docm content renamed .docx", "a.docx", ooxml(
        "word", "document.xml", "ms-word.document.macroEnabled.main+xml"), "含宏"),
    ("legacy doc with a VBA project", "a.doc", ole2("WordDocument", "Macros", "VBA", "_VBA_PROJECT"), "含宏"),
    ("HTML page", "page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "网页"),
    ("HTML renamed .txt", "page.txt", b"<html><body onload=alert(1)></body></html>", "网页"),
    ("HTML renamed .pdf", "page.pdf", b"  <!doctype html><p>x</p>", "网页"),
    ("SVG", "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "网页"),
    ("SVG renamed .png", "logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "网页"),
    ("empty", "a.pdf", b"", "文件为空"),
    ("PNG named .pdf", "a.pdf", PNG, "与扩展名“.pdf”不符"),
    ("PDF named .docx", "a.docx", PDF, "与扩展名“.docx”不符"),
    ("no extension", "合同", PDF, "与扩展名“（无）”不符"),
    ("xlsx named .docx", "a.docx", XLSX, "与扩展名“.docx”不符"),
    ("zip bomb-ish member count", "a.docx", many_members, "条目过多"),
    ("zip whose record understates its members", "a.docx", _lying_count(many_members, 3), "条目过多"),
    ("truncated zip", "a.docx", DOCX[: len(DOCX) // 2], "已损坏"),
    ("plain zip", "a.zip", _zip({"a.txt": b"hello"}), "不支持此文件类型"),
    ("installer-like OLE2 renamed .doc", "a.doc", ole2("\u4840\u3b3f\u4577"), "不支持此文件类型"),
    ("random binary", "a.bin", bytes(range(1, 32)) * 4, "不支持此文件类型"),
    ("UTF-16 text (NULs)", "a.txt", "说明".encode("utf-16"), "不支持此文件类型"),
    ("PDF with JavaScript", "a.pdf", PDF + b"2 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj", "含有脚本"),
    ("PDF with an escaped launch action", "a.pdf", PDF + b"<< /S /L#61unch /F (cmd.exe) >>", "含有脚本"),
    ("PDF with an embedded file", "a.pdf", PDF + b"<< /EmbeddedFiles 3 0 R >>", "含有脚本"),
]


@pytest.mark.parametrize("name,data,expected", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_uploads_are_refused_with_a_clear_message(name, data, expected):
    with pytest.raises(InvalidSubmission) as err:
        prepare_upload("material", name, data, max_bytes=LIMIT)
    assert list(err.value.errors) == ["material"]
    [message] = err.value.errors["material"]
    assert expected in message


def test_an_oversize_file_names_the_limit_in_megabytes():
    with pytest.raises(InvalidSubmission) as err:
        prepare_upload("files", "big.pdf", PDF + bytes(1_000_000), max_bytes=1_000_000)
    assert err.value.errors == {"files": ["文件过大：单个文件不能超过 1 MB"]}
    with pytest.raises(InvalidSubmission) as err:
        prepare_upload("files", "big.pdf", PDF + bytes(2_600_000), max_bytes=2_500_000, locale="en")
    assert err.value.errors == {"files": ["the file is too large: at most 2.5 MB per file"]}


def test_messages_are_english_when_asked():
    with pytest.raises(InvalidSubmission) as err:
        prepare_upload("files", "invoice.pdf", EXE, max_bytes=LIMIT, locale="en")
    assert err.value.errors == {"files": ["programs and scripts cannot be uploaded"]}
    with pytest.raises(InvalidSubmission) as err:
        prepare_upload("files", "a.pdf", PNG, max_bytes=LIMIT, locale="en")
    assert err.value.errors["files"][0].startswith("the content is PNG, which does not match the extension “.pdf”")


def test_a_compressed_bomb_inside_a_document_is_never_expanded():
    bomb = ooxml("word", "document.xml", "openxmlformats-officedocument.wordprocessingml.document.main+xml",
                 {"word/media/huge.bin": bytes(60_000_000)})
    assert len(bomb) < 200_000
    tracemalloc.start()
    try:
        upload = prepare_upload("files", "bomb.docx", bomb, max_bytes=LIMIT)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert upload.content_type.endswith("wordprocessingml.document")
    assert peak < 5_000_000  # 60 MB of zeros were not inflated


def test_file_names_are_sanitised():
    cases = {
        "C:\\Users\\a\\Desktop\\合同.pdf": "合同.pdf",
        "../../etc/合同.pdf": "合同.pdf",
        "合\x00同\x1b.pdf": "合同.pdf",
        "a\u202eb.pdf": "ab.pdf",
        '..合同<1>:"?.pdf': "合同_1____.pdf",
        "x" * 300 + ".pdf": "x" * 251 + ".pdf",
    }
    for raw, clean in cases.items():
        assert prepare_upload("f", raw, PDF, max_bytes=LIMIT).filename == clean


# -- storing and opening -----------------------------------------------------------------------

def _file_case(username: str = "intake_12345", contract_no: str = "HT-ATT-1") -> int:
    data = copy.deepcopy(SAMPLE_COMPLAINT)
    data["contract"]["contract_no"] = contract_no
    with unit_of_work(db.session):
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        return intake.register_complaint(EngineContext.load(db.session, clock.now()), actor_for(user), data).case.id


def _staff(username: str) -> Actor:
    return actor_for(db.session.execute(select(User).where(User.username == username)).scalar_one())


@pytest.fixture
def env(app, demo):
    with app.app_context():
        yield
        db.session.remove()


def _store(storage, actor, case_id, *uploads, **kw):
    with unit_of_work(db.session):
        rows = store_attachments(db.session, storage, clock.now(), actor, case_id, list(uploads), **kw)
        return [r.id for r in rows]


def test_stored_files_are_content_addressed_audited_once_and_kept_once(env, tmp_path):
    case_id = _file_case()
    first = prepare_upload("contract", "合同.pdf", PDF, max_bytes=LIMIT)
    same = prepare_upload("contract", "合同-副本.pdf", PDF, max_bytes=LIMIT)
    photo = prepare_upload("photos", "现场.png", PNG, max_bytes=LIMIT)
    ids = _store(tmp_path, _staff("intake_12345"), case_id, first, same, photo, task_id="t-1")
    assert len(ids) == 3
    stored = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert stored == sorted({blob_path(tmp_path, first.sha256), blob_path(tmp_path, photo.sha256)})
    assert blob_path(tmp_path, first.sha256).read_bytes() == PDF
    assert not list(tmp_path.rglob(".upload-*"))  # no temporary file left behind
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "attachments_added")).scalars().all()
    assert len(events) == 1 and events[0].case_id == case_id
    assert [(f["filename"], f["sha256"], f["size"]) for f in events[0].detail["files"]] == [
        ("合同.pdf", first.sha256, len(PDF)), ("合同-副本.pdf", first.sha256, len(PDF)), ("现场.png", photo.sha256, len(PNG))]
    rows = attachments_for_case(db.session, case_id)
    assert [(r["filename"], r["field"], r["task_id"], r["public"], r["uploaded_by_label"]) for r in rows] == [
        ("合同.pdf", "contract", "t-1", False, "intake_12345"), ("合同-副本.pdf", "contract", "t-1", False, "intake_12345"),
        ("现场.png", "photos", "t-1", False, "intake_12345")]


def test_a_damaged_copy_on_disk_is_replaced_on_the_next_store(env, tmp_path):
    case_id = _file_case()
    upload = prepare_upload("f", "a.pdf", PDF, max_bytes=LIMIT)
    path = blob_path(tmp_path, upload.sha256)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage")
    _store(tmp_path, _staff("intake_12345"), case_id, upload)
    assert path.read_bytes() == PDF


def test_staff_of_another_org_cannot_store_on_the_case(env, tmp_path):
    case_id = _file_case()
    upload = prepare_upload("f", "a.pdf", PDF, max_bytes=LIMIT)
    with pytest.raises(NotFound):
        _store(tmp_path, _staff("handler_whgov"), case_id, upload)
    assert not any(tmp_path.iterdir())


def test_who_may_open_an_attachment(env, tmp_path):
    case_id = _file_case()
    other_case = _file_case(contract_no="HT-ATT-2")
    [internal] = _store(tmp_path, _staff("intake_12345"), case_id, prepare_upload("f", "内部.pdf", PDF, max_bytes=LIMIT))
    [shared] = _store(tmp_path, _staff("intake_12345"), case_id, prepare_upload("f", "公开.png", PNG, max_bytes=LIMIT),
                      public=True)
    for username in ("intake_12345", "supervisor_city", "supervisor_hy", "admin"):
        row, path = open_attachment(db.session, tmp_path, _staff(username), internal)
        assert row.filename == "内部.pdf" and path.read_bytes() == PDF
    for username in ("handler_whgov", "intake_city", "owner"):
        with pytest.raises(NotFound):
            open_attachment(db.session, tmp_path, _staff(username), internal)
    mine = Actor.complainant(case_id)
    assert open_attachment(db.session, tmp_path, mine, shared)[0].filename == "公开.png"
    with pytest.raises(NotFound):
        open_attachment(db.session, tmp_path, mine, internal)       # not public
    with pytest.raises(NotFound):
        open_attachment(db.session, tmp_path, Actor.complainant(other_case), shared)  # not their case
    for bogus in (999_999, "abc", None):
        with pytest.raises(NotFound):
            open_attachment(db.session, tmp_path, _staff("intake_12345"), bogus)


def test_a_missing_or_altered_file_is_not_served(env, tmp_path):
    case_id = _file_case()
    upload = prepare_upload("f", "a.pdf", PDF, max_bytes=LIMIT)
    [att] = _store(tmp_path, _staff("intake_12345"), case_id, upload)
    path = blob_path(tmp_path, upload.sha256)
    path.write_bytes(PDF + b"% tampered")
    with pytest.raises(NotFound):
        open_attachment(db.session, tmp_path, _staff("intake_12345"), att)
    path.unlink()
    with pytest.raises(NotFound):
        open_attachment(db.session, tmp_path, _staff("intake_12345"), att)


def test_the_complainant_sees_only_public_files_and_their_own_uploads_are_public(env, tmp_path):
    case_id = _file_case()
    _store(tmp_path, _staff("intake_12345"), case_id, prepare_upload("f", "内部.pdf", PDF, max_bytes=LIMIT))
    [own] = _store(tmp_path, Actor.complainant(case_id), case_id, prepare_upload("f", "补充.png", PNG, max_bytes=LIMIT))
    public = attachments_for_case(db.session, case_id, public_only=True)
    assert [(r["id"], r["filename"], r["by_staff"]) for r in public] == [(own, "补充.png", False)]
    assert len(attachments_for_case(db.session, case_id)) == 2
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "attachments_added")
                               .order_by(AuditEvent.id.desc()).limit(1)).scalar_one()
    assert event.public and event.actor_label == "complainant"
