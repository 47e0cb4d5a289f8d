"""File fields of page forms: checked uploads, file names as data, and accepted files kept across a
re-render by signed tokens (round trip, tampering, expiry, a file gone from disk)."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage, MultiDict

from app.services.attachments import blob_path
from app.task_forms import load_form
from app.web.uploads import KEPT_PREFIX, put_values, read_file_fields, read_kept, sign_kept

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00" + b"\x00" * 60
SECRET = "unit-test-secret"

FORM = load_form(
    {"type": "object", "properties": {
        "note": {"type": "string"},
        "files": {"type": "array", "title": "材料", "items": {"type": "string"}},
        "extra": {"type": "object", "properties": {"one": {"type": "string", "title": "单个文件"}}},
    }},
    {"files": {"ui:widget": "file"}, "extra": {"one": {"ui:widget": "file"}}},
)


def _files(*items) -> MultiDict:
    return MultiDict([(name, FileStorage(io.BytesIO(data), filename=filename)) for name, filename, data in items])


@pytest.fixture
def read(app, tmp_path):
    def run(files=None, form=None, secret=SECRET):
        with app.test_request_context():
            return read_file_fields(FORM, files or MultiDict(), form or MultiDict(), storage_dir=tmp_path,
                                    secret_key=secret, max_bytes=100_000, locale="zh")
    return run


def test_accepted_uploads_become_file_names_and_are_written_by_sha256_at_once(read, tmp_path):
    result = read(_files(("files", "合同.pdf", PDF), ("files", "现场.png", PNG), ("extra.one", "a.pdf", PDF)))
    assert not result.errors
    assert result.values == {"files": ["合同.pdf", "现场.png"], "extra.one": "a.pdf"}
    assert [u.filename for u in result.uploads] == ["合同.pdf", "现场.png", "a.pdf"]
    for upload in result.uploads:
        assert blob_path(tmp_path, upload.sha256).read_bytes() == upload.data
    assert put_values({"note": "x"}, result.values) == {"note": "x", "files": ["合同.pdf", "现场.png"],
                                                        "extra": {"one": "a.pdf"}}


def test_an_executable_named_pdf_is_refused_at_its_field_and_not_kept(read, tmp_path):
    result = read(_files(("files", "发票.pdf", EXE), ("files", "ok.pdf", PDF)))
    assert list(result.errors) == ["files"] and "发票.pdf" in result.errors["files"][0]
    assert result.values == {"files": ["ok.pdf"]}
    assert [k.filename for k in result.kept["files"]] == ["ok.pdf"]


def test_a_kept_token_brings_the_file_back_without_a_new_upload(read):
    first = read(_files(("files", "合同.pdf", PDF)))
    token = first.kept["files"][0].token
    second = read(form=MultiDict([(KEPT_PREFIX + "files", token)]))
    assert not second.errors
    assert second.values == {"files": ["合同.pdf"]}
    assert second.uploads[0].data == PDF and second.uploads[0].sha256 == first.uploads[0].sha256
    assert second.kept["files"][0].token == token


def test_token_round_trip_keeps_field_name_digest_and_size():
    from app.services.attachments import prepare_upload

    upload = prepare_upload("files", "合同.pdf", PDF, max_bytes=10_000)
    kept = sign_kept(SECRET, "files", upload)
    back = read_kept(SECRET, kept.token)
    assert back == kept
    assert (back.field, back.filename, back.sha256, back.size) == ("files", "合同.pdf", upload.sha256, len(PDF))


def test_a_tampered_or_foreign_token_is_not_trusted(read):
    first = read(_files(("files", "合同.pdf", PDF)))
    token = first.kept["files"][0].token
    payload, _dot, signature = token.partition(".")
    altered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    assert read_kept(SECRET, altered) is None
    assert read_kept("another-secret", token) is None
    assert read_kept(SECRET, "not-a-token") is None
    result = read(form=MultiDict([(KEPT_PREFIX + "files", altered)]))
    assert result.values == {} and result.uploads == []
    assert "重新选择" in result.errors["files"][0]


def test_a_token_issued_to_another_session_is_not_trusted():
    from app.services.attachments import prepare_upload

    kept = sign_kept(SECRET, "files", prepare_upload("files", "a.pdf", PDF, max_bytes=10_000), "session-a")
    assert read_kept(SECRET, kept.token, binding="session-a") == kept
    assert read_kept(SECRET, kept.token, binding="session-b") is None
    assert read_kept(SECRET, kept.token) is None


def test_a_token_from_another_field_is_not_reused_there(read):
    first = read(_files(("extra.one", "a.pdf", PDF)))
    result = read(form=MultiDict([(KEPT_PREFIX + "files", first.kept["extra.one"][0].token)]))
    assert result.uploads == [] and "files" in result.errors


def test_an_expired_token_is_refused():
    from app.services.attachments import prepare_upload

    kept = sign_kept(SECRET, "files", prepare_upload("files", "a.pdf", PDF, max_bytes=10_000))
    assert read_kept(SECRET, kept.token, max_age=-1) is None


def test_a_kept_file_missing_from_disk_asks_for_the_file_again(read, tmp_path):
    first = read(_files(("files", "合同.pdf", PDF)))
    blob_path(tmp_path, first.uploads[0].sha256).unlink()
    result = read(form=MultiDict([(KEPT_PREFIX + "files", first.kept["files"][0].token)]))
    assert result.uploads == [] and "重新选择" in result.errors["files"][0]


def test_unticking_a_kept_file_removes_it_and_new_files_add_to_the_rest(read):
    first = read(_files(("files", "a.pdf", PDF), ("files", "b.png", PNG)))
    keep_b = [k.token for k in first.kept["files"] if k.filename == "b.png"]
    result = read(_files(("files", "c.pdf", PDF + b"%c\n")), MultiDict([(KEPT_PREFIX + "files", keep_b[0])]))
    assert result.values == {"files": ["b.png", "c.pdf"]}


def test_a_single_file_field_takes_the_newest_choice(read):
    first = read(_files(("extra.one", "a.pdf", PDF)))
    result = read(_files(("extra.one", "b.png", PNG)), MultiDict([(KEPT_PREFIX + "extra.one", first.kept["extra.one"][0].token)]))
    assert result.values == {"extra.one": "b.png"} and len(result.uploads) == 1


def test_the_same_file_chosen_twice_counts_once(read):
    result = read(_files(("files", "a.pdf", PDF), ("files", "copy.pdf", PDF)))
    assert result.values == {"files": ["a.pdf"]}
