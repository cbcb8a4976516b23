"""`emergency warning …` as a user runs it: import many files at once, issue/raise/lift/export an own warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from emergency.cap import schema
from tests.conftest import CliRunner
from tests.integration.test_warning_import import SAMPLE_OUTCOMES
from tests.warning_support import SAMPLES, Info, cap_bytes, ref

NOW = "2026-07-20T10:00:00+08:00"
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # PG is covered in-process


def test_import_every_sample_and_a_chinese_chain_in_one_call(cli: CliRunner, tmp_path: Path) -> None:
    """One call with every sample plus a 长春 Alert/Update: one JSON object per message in order, the broken files
    reported as errors without stopping the others, exit code 1 because some failed."""
    assert cli("init").code == 0
    alert, update = tmp_path / "cc-1.xml", tmp_path / "cc-2.xml"
    alert.write_bytes(cap_bytes("CLI-1"))
    update.write_bytes(cap_bytes("CLI-2", sent="2026-07-20T09:45:00+08:00", msg_type="Update",
                                 references=(ref("CLI-1", "2026-07-20T09:30:00+08:00"),),
                                 infos=(Info(headline="长春市气象台发布暴雨红色预警信号", severity="Extreme"),)))
    names = sorted(SAMPLE_OUTCOMES)
    result = cli("warning", "import", *[SAMPLES / n for n in names], alert, update, tmp_path / "missing.xml",
                 "--json", now=NOW)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    outcomes = json.loads(result.stdout)
    assert [Path(o["file"]).name for o in outcomes] == [*names, "cc-1.xml", "cc-2.xml", "missing.xml"]
    for name, outcome in zip(names, outcomes, strict=False):
        action, _why = SAMPLE_OUTCOMES[name]
        assert (outcome["action"] or "error") == action, (name, outcome)
        for key in ("file", "identifier", "sender", "sent", "status", "msg_type", "references", "event", "colour_level",
                    "severity", "urgency", "certainty", "area_match", "action", "reason", "error"):
            assert key in outcome
    issued, updated, missing = outcomes[-3:]
    assert (issued["action"], issued["colour_level"], issued["warning_type"]) == ("issued", "orange", "rainstorm")
    assert (updated["action"], updated["colour_level"], updated["references"]) == ("updated", "red", ["CLI-1"])
    assert "cannot be read" in missing["error"]
    listed = cli("warning", "list", "--json", now=NOW)
    assert [(w["level"], w["status"], w["origin"]) for w in json.loads(listed.stdout)] == [("red", "active", "upstream")]


def test_issue_raise_export_and_lift_an_own_warning(cli: CliRunner, tmp_path: Path) -> None:
    """issue → update --level red → export (valid CAP 1.2 Update referencing the first version) → lift → show."""
    assert cli("init").code == 0
    issued = cli("warning", "issue", "--type", "waterlogging", "--level", "橙色", "--by", "周平", "--json", now=NOW)
    assert issued.code == 0, issued.stderr
    document = json.loads(issued.stdout)
    assert document["identifier"] == "22010600000000_20260720100000_0"
    assert document["checklist"] and all(item["owner"] for item in document["checklist"])
    raised = cli("warning", "update", str(document["id"]), "--level", "red", "--reason", "积水40厘米",
                 now="2026-07-20T10:30:00+08:00")
    assert raised.code == 0, raised.stderr
    out = tmp_path / "export.xml"
    exported = cli("warning", "export", str(document["id"]), "--out", out, now="2026-07-20T10:31:00+08:00")
    assert exported.code == 0, exported.stderr
    xml = etree.fromstring(out.read_bytes())
    assert schema().validate(xml)
    ns = {"c": "urn:oasis:names:tc:emergency:cap:1.2"}
    assert xml.findtext("c:msgType", namespaces=ns) == "Update"
    assert xml.findtext("c:identifier", namespaces=ns) == "22010600000000_20260720103000_0"
    assert xml.findtext("c:references", namespaces=ns) == \
        "22010600000000,22010600000000_20260720100000_0,2026-07-20T10:00:00+08:00"
    assert xml.findtext("c:info/c:severity", namespaces=ns) == "Extreme"
    lifted = cli("warning", "lift", str(document["id"]), "--reason", "积水已排除", now="2026-07-20T14:00:00+08:00")
    assert lifted.code == 0 and "已解除" in lifted.stdout
    shown = json.loads(cli("warning", "show", str(document["id"]), "--json", now=NOW).stdout)
    assert [e["action"] for e in shown["events"]] == ["issued", "raised", "lifted"]


def test_bad_input_is_one_line_and_exit_1(cli: CliRunner) -> None:
    """An unknown type or colour names the field; nothing is stored."""
    assert cli("init").code == 0
    for args, words in ((("--type", "tsunami", "--level", "red"), "field type"),
                        (("--type", "rainstorm", "--level", "purple"), "--level")):
        result = cli("warning", "issue", *args, now=NOW)
        assert result.code == 1
        assert words in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert json.loads(cli("warning", "list", "--json", now=NOW).stdout) == []
