"""Uploaded XML is parsed by our hardened parser; hostile or broken files are refused."""
import pytest

from app.engine import build_package, parse_xml
from app.errors import DefinitionInvalid

from .conftest import model_bytes

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol9;</bpmn:definitions>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:scriptTask id="s"><bpmn:script>x = "&xxe;"</bpmn:script></bpmn:scriptTask></bpmn:process>
</bpmn:definitions>"""


def _refused(data, filename="evil.bpmn", **kw) -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as info:
        parse_xml(data, filename, **kw)
    problem = info.value.problems[0]
    assert problem.file == filename
    assert problem.code == "xml"
    return info.value


def test_billion_laughs_is_refused():
    e = _refused(BILLION_LAUGHS)
    assert "DOCTYPE" in e.problems[0].message


def test_external_entity_is_refused_and_not_resolved():
    e = _refused(XXE)
    assert "root:" not in str(e.problems[0].message)


def test_doctype_after_leading_comment_padding_is_refused():
    padded = b"<?xml version='1.0'?><!--" + b"x" * 5000 + b"--><!DOCTYPE d><d/>"
    e = _refused(padded)
    assert "DOCTYPE" in e.problems[0].message


def test_oversized_file_is_refused():
    e = _refused(b"<d>" + b" " * 200 + b"</d>", max_bytes=100)
    assert "too large" in e.problems[0].message


def test_non_bytes_is_refused():
    _refused("<d/>")


def test_malformed_xml_reports_line_and_column():
    e = _refused(b"<a>\n  <b>\n</a>", filename="broken.bpmn")
    problem = e.problems[0]
    assert problem.line == 3
    assert "line 3, column" in problem.message


def test_build_package_names_the_bad_file_among_good_ones():
    with pytest.raises(DefinitionInvalid) as info:
        build_package({"approval3.bpmn": model_bytes("approval3.bpmn"), "evil.bpmn": XXE})
    assert [p.file for p in info.value.problems] == ["evil.bpmn"]


def test_clean_model_parses():
    tree = parse_xml(model_bytes("approval3.bpmn"), "approval3.bpmn")
    assert tree.getroot().tag.endswith("definitions")
