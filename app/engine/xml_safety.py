"""Hardened XML parsing for uploaded BPMN/DMN files.

SpiffWorkflow parses with lxml's default parser; we never let it. Every model goes through
`parse_xml` and is handed to the Spiff parser as an already-built tree (`add_bpmn_xml`).
"""
from __future__ import annotations

import re

from lxml import etree

from app.errors import DefinitionInvalid, Problem

DEFAULT_MAX_BYTES = 2_000_000


def _parser() -> etree.XMLParser:
    # A fresh parser per call: lxml parsers keep an error log and are not thread-safe.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def _invalid(message: str, filename: str, line: int | None = None) -> DefinitionInvalid:
    return DefinitionInvalid([Problem(message=message, file=filename, line=line, code="xml")])


def parse_xml(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted XML bytes into an lxml ElementTree or raise DefinitionInvalid (code 'xml').

    Refused: non-bytes input, more than `max_bytes`, any DOCTYPE (no BPMN/DMN file needs one; this
    also rules out entity expansion and external entities), malformed XML.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise _invalid(f"expected file content as bytes, got {type(data).__name__}", filename)
    if len(data) > max_bytes:
        raise _invalid(f"file is too large ({len(data)} bytes; the limit is {max_bytes})", filename)
    if not data.strip():
        raise _invalid("file is empty", filename)
    # Cheap pre-check before libxml2 sees the document at all. The post-parse docinfo check below
    # is the authoritative one (this one can be fooled by encodings, that one cannot).
    head = bytes(data[:4096]).lower()
    if b"<!doctype" in head:
        raise _invalid("DOCTYPE declarations are not allowed in process models", filename)
    try:
        root = etree.fromstring(bytes(data), _parser())
    except etree.XMLSyntaxError as e:
        line, col = (e.position if getattr(e, "position", None) else (e.lineno, None))
        where = f"line {line}" + (f", column {col}" if col else "")
        msg = re.sub(r",\s*line \d+, column \d+\s*$", "", e.msg or str(e))
        raise _invalid(f"malformed XML at {where}: {msg}", filename, line) from None
    except ValueError as e:  # e.g. unicode string with encoding declaration
        raise _invalid(f"cannot parse XML: {e}", filename) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _invalid("DOCTYPE declarations are not allowed in process models", filename)
    return tree
