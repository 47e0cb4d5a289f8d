"""build_package / compile / user_tasks turn BPMN files into specs or precise Problems."""
import pytest

from app.engine import build_package
from app.errors import DefinitionInvalid

from .conftest import model_bytes, package_of


def test_process_ids_and_root_process_ids():
    pkg = package_of("withdraw.bpmn", "approval3.bpmn")
    assert sorted(pkg.process_ids) == ["Process_approval3", "complaint_case", "verification"]
    assert sorted(pkg.root_process_ids) == ["Process_approval3", "complaint_case"]


def test_compile_collects_call_activity_and_embedded_subprocess_specs():
    compiled = package_of("withdraw.bpmn").compile("complaint_case")
    assert set(compiled.subprocess_specs) == {"case_handling", "verification"}
    assert compiled.bpmn_process_ids == {"complaint_case", "verification"}
    assert not compiled.has_event_subprocess


def test_user_tasks_cover_called_processes():
    [meta] = package_of("withdraw.bpmn").user_tasks("complaint_case")
    assert (meta.process_id, meta.spec_id, meta.name, meta.lane) == ("verification", "verify", "Verify complaint", "handler")
    assert meta.properties == {"formJsonSchemaFilename": "verify.schema.json", "dueRule": "10 workdays"}
    assert meta.instructions == "Verify case {{ case_no }}"


def test_missing_call_activity_target_names_the_call_activity():
    xml = model_bytes("withdraw.bpmn").replace(b'calledElement="verification"', b'calledElement="nowhere"')
    with pytest.raises(DefinitionInvalid) as info:
        build_package({"w.bpmn": xml}).compile("complaint_case")
    [p] = info.value.problems
    assert (p.file, p.element_id, p.element_name, p.code) == ("w.bpmn", "call_verification", "Verification", "call-target")
    assert p.line is not None


def test_semantic_error_names_file_element_tag_and_line():
    xml = model_bytes("approval3.bpmn").replace(
        b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">approved == True and amount &lt;= threshold * 100</bpmn:conditionExpression>', b"")
    with pytest.raises(DefinitionInvalid) as info:
        build_package({"a.bpmn": xml}).compile("Process_approval3")
    [p] = info.value.problems
    assert (p.file, p.element_id) == ("a.bpmn", "f_gw_approved")
    assert "bpmn:sequenceFlow" in p.message
    assert p.line == 56  # found from the element id: Spiff's ValidationException.line_number is always ''


def test_xsd_violation_reports_line():
    xml = model_bytes("approval3.bpmn").replace(b'<bpmn:startEvent id="start">', b'<bpmn:startEvent id="start"><bpmn:bogus/>')
    with pytest.raises(DefinitionInvalid) as info:
        build_package({"a.bpmn": xml})
    [p] = info.value.problems
    assert p.file == "a.bpmn" and p.line == 4 and "bpmn:bogus" in p.message


def test_duplicate_process_id_across_files_is_refused():
    with pytest.raises(DefinitionInvalid) as info:
        build_package({"a.bpmn": model_bytes("approval3.bpmn"), "b.bpmn": model_bytes("approval3.bpmn")})
    assert "Duplicate process ID" in info.value.problems[0].message
    assert info.value.problems[0].file == "b.bpmn"


def test_unknown_process_id():
    with pytest.raises(DefinitionInvalid):
        package_of("approval3.bpmn").compile("nope")
