"""What an uploaded file really is, told from its bytes (magic numbers, the zip directory, OLE2
stream names) — never from the browser's MIME type. Pure functions, no I/O.

`sniff(data, ext)` returns the allowed `Kind` or raises `Refused(code, **params)`; the caller
turns the code into a localised message. Zip containers are inspected without extracting: the
member count is bounded before and after reading the central directory, sizes in the directory
are not trusted, and at most a few bytes (or one bounded XML part) are decompressed per member."""
from __future__ import annotations

import codecs
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass

MAX_ZIP_MEMBERS = 1000
_PEEK = 8                      # bytes decompressed per zip member to spot executables inside
_XML_PART_LIMIT = 256 * 1024   # at most this much of [Content_Types].xml is decompressed

EXECUTABLE_EXTS = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".js", ".jse", ".mjs", ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".psd1",
    ".sh", ".bash", ".zsh", ".csh", ".ksh", ".jar", ".apk", ".msi", ".msp", ".mst", ".scr", ".dll", ".sys", ".cpl",
    ".ocx", ".drv", ".lnk", ".pif", ".reg", ".inf", ".scf", ".gadget", ".application", ".appx", ".msix", ".deb",
    ".rpm", ".dmg", ".pkg", ".app", ".run", ".elf", ".so", ".dylib", ".py", ".pyc", ".pyw", ".pl", ".rb", ".php",
    ".phtml", ".asp", ".aspx", ".jsp", ".cgi", ".class", ".dex", ".chm", ".iso", ".img", ".vhd", ".vhdx",
})
MACRO_EXTS = frozenset({".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam",
                        ".sldm"})
MARKUP_EXTS = frozenset({".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".hta", ".svg", ".svgz", ".xml",
                         ".xsl", ".xslt"})

_EXEC_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
               b"\xca\xfe\xba\xbe", b"#!", b"dex\n", b"\x00asm")
_MEMBER_REFUSED_EXTS = EXECUTABLE_EXTS | MACRO_EXTS
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Kind:
    label: str          # what the content is, for messages ("PDF", "DOCX", …)
    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("PDF", "application/pdf", (".pdf",))
PNG = Kind("PNG", "image/png", (".png",))
JPEG = Kind("JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe"))
GIF = Kind("GIF", "image/gif", (".gif",))
WEBP = Kind("WEBP", "image/webp", (".webp",))
OFD = Kind("OFD", "application/ofd", (".ofd",))
DOC = Kind("DOC", "application/msword", (".doc",))
XLS = Kind("XLS", "application/vnd.ms-excel", (".xls",))
PPT = Kind("PPT", "application/vnd.ms-powerpoint", (".ppt",))
DOCX = Kind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
XLSX = Kind("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = Kind("PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",))
TEXT_UTF8 = Kind("TXT", "text/plain; charset=utf-8", (".txt",))
TEXT_GB18030 = Kind("TXT", "text/plain; charset=gb18030", (".txt",))

# OOXML: (folder of the main part, its content type in [Content_Types].xml)
_OOXML = ((DOCX, "word/", b"wordprocessingml.document.main+xml"),
          (XLSX, "xl/", b"spreadsheetml.sheet.main+xml"),
          (PPTX, "ppt/", b"presentationml.presentation.main+xml"))
# legacy Office (OLE2 compound file): the stream each application writes
_OLE_STREAMS = ((DOC, ("WordDocument",)), (XLS, ("Workbook", "Book")), (PPT, ("PowerPoint Document",)))
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFiles?|RichMedia)(?![A-Za-z0-9])")
_PDF_ESCAPED_NAME = re.compile(rb"/[A-Za-z0-9#]*#[0-9A-Fa-f]{2}[A-Za-z0-9#]*")


class Refused(Exception):
    """codes: executable, macro, archive_executable, script_carrier, active_pdf, too_many_parts,
    damaged, not_allowed, mismatch (params kind, ext, expected)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def clean_filename(name: str) -> str:
    """The last path part, without control/format characters (no RTL-override tricks), reserved
    characters replaced, no leading dots or trailing dots/spaces, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))
    name = re.sub(r'[<>:"|?*]', "_", name).strip().lstrip(".").rstrip(". ").strip()
    if len(name) > 255:
        stem, ext = os.path.splitext(name)
        ext = ext[:20]
        name = stem[: 255 - len(ext)] + ext
    return name


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def sniff(data: bytes, ext: str) -> Kind:
    """The allowed kind of `data` named with extension `ext` (lower case, with the dot)."""
    if ext in MACRO_EXTS:
        raise Refused("macro")
    if ext in EXECUTABLE_EXTS:
        raise Refused("executable")
    if ext in MARKUP_EXTS:
        raise Refused("script_carrier")
    if data.startswith(_EXEC_MAGIC):
        raise Refused("executable")
    kind = _by_magic(data)
    if kind is None:
        kind = _text_kind(data)
    if kind is None:
        raise Refused("not_allowed")
    if ext not in kind.extensions:
        raise Refused("mismatch", kind=kind.label, ext=ext, expected=kind.extensions[0])
    if kind is PDF and _pdf_is_active(data):
        raise Refused("active_pdf")
    return kind


def _by_magic(data: bytes) -> Kind | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(_OLE2):
        return _ole_kind(data)
    if data.startswith(_ZIP):
        return _zip_kind(data)
    return None


def _ole_kind(data: bytes) -> Kind:
    """Legacy Office by the stream names in the compound file's directory (UTF-16LE). Other OLE2
    files (installers .msi, Outlook .msg, …) are not allowed; VBA projects are refused."""
    if "_VBA_PROJECT".encode("utf-16-le") in data:
        raise Refused("macro")
    for kind, streams in _OLE_STREAMS:
        if any(s.encode("utf-16-le") + b"\x00\x00" in data for s in streams):
            return kind
    raise Refused("not_allowed")


def _declared_entries(data: bytes) -> int:
    """The entry count the end-of-central-directory record (or its zip64 twin) declares."""
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if eocd < 0 or len(data) - eocd < 22:
        raise Refused("damaged")
    total = int.from_bytes(data[eocd + 10:eocd + 12], "little")
    locator = eocd - 20
    if locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        offset = int.from_bytes(data[locator + 8:locator + 16], "little")
        if offset + 40 > len(data) or data[offset:offset + 4] != b"PK\x06\x06":
            raise Refused("damaged")
        total = int.from_bytes(data[offset + 32:offset + 40], "little")
    return total


def _zip_members(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    if _declared_entries(data) > MAX_ZIP_MEMBERS:
        raise Refused("too_many_parts", limit=MAX_ZIP_MEMBERS)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise Refused("damaged") from None
    if len(members) > MAX_ZIP_MEMBERS:  # the directory may hold more entries than its record says
        raise Refused("too_many_parts", limit=MAX_ZIP_MEMBERS)
    return archive, members


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Decompress at most `limit` bytes of one member, whatever sizes the directory claims."""
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Refused("damaged")  # encrypted, or a compression Office/OFD never use
    try:
        with archive.open(info) as member:
            return member.read(limit)
    except Exception:  # a damaged stream may fail in zlib, zipfile or the CRC check alike
        raise Refused("damaged") from None


def _zip_kind(data: bytes) -> Kind:
    archive, members = _zip_members(data)
    names = set()
    for info in members:
        lower = info.filename.lower()
        base = lower.rsplit("/", 1)[-1]
        if "vbaproject" in base or lower.startswith(("word/activex", "xl/activex", "ppt/activex")):
            raise Refused("macro")
        if info.is_dir():
            continue
        if extension(base) in _MEMBER_REFUSED_EXTS:
            raise Refused("archive_executable")
        if _read_bounded(archive, info, _PEEK).startswith(_EXEC_MAGIC):
            raise Refused("archive_executable")
        names.add(info.filename)
    if "[Content_Types].xml" in names:
        types = _read_bounded(archive, archive.getinfo("[Content_Types].xml"), _XML_PART_LIMIT).lower()
        if b"macroenabled" in types or b"vbaproject" in types:
            raise Refused("macro")
        for kind, folder, main_type in _OOXML:
            if main_type in types and any(n.startswith(folder) for n in names):
                return kind
        raise Refused("not_allowed")
    if "OFD.xml" in names:
        return OFD
    raise Refused("not_allowed")


def _text_kind(data: bytes) -> Kind | None:
    """Plain text: UTF-8 (BOM allowed) or GB18030, no NULs or other control characters; markup
    that a browser would run (HTML, SVG, XML) is refused even under a .txt name."""
    if b"\x00" in data:
        return None
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    for encoding, kind in (("utf-8", TEXT_UTF8), ("gb18030", TEXT_GB18030)):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
            return None
        _refuse_markup(text)
        return kind
    return None


def _refuse_markup(text: str) -> None:
    head = text[:2048].lstrip("\ufeff \t\r\n").lower()
    markers = ("<!doctype", "<html", "<svg", "<?xml", "<head", "<body", "<iframe", "<object", "<embed")
    if (head.startswith("<") and any(m in head for m in markers)) or "<script" in head:
        raise Refused("script_carrier")


def _pdf_is_active(data: bytes) -> bool:
    """JavaScript, launch actions, embedded files or rich media in a PDF (also with #xx-escaped names)."""
    if _PDF_ACTIVE.search(data):
        return True
    for match in _PDF_ESCAPED_NAME.finditer(data):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(0))
        if _PDF_ACTIVE.fullmatch(name):
            return True
    return False
