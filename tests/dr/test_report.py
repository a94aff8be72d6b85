"""Reports re-rendered from results recorded on the WAN lab (tests/dr/data, real runs)."""
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from oamkit.dr.report import outage_text, write_reports

DATA = Path(__file__).parent / "data"


def load(name):
    return json.loads((DATA / name).read_text())


@pytest.fixture(params=["healthy.result.json", "half-routes.result.json"])
def result(request):
    return load(request.param)


def test_all_report_formats_are_written(result, tmp_path):
    paths = write_reports(result, tmp_path)
    assert json.loads(paths["json"].read_text())["verdict"] == result["verdict"]
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = paths["html"].read_text()
    assert "data:image/png;base64," in page and result["verdict"] in page


def test_partial_failover_junit_names_exactly_the_failed_sites(tmp_path):
    result = load("half-routes.result.json")
    assert result["verdict"] == "FAIL"
    suite = ET.parse(write_reports(result, tmp_path)["junit"]).getroot()
    failed = {tc.get("name").split()[0] for tc in suite.iter("testcase") if tc.find("failure") is not None}
    assert failed == {f"site{i}" for i in range(7, 13)}
    assert suite.get("failures") == "6"
    assert any("6 of 12 sites" in s for s in result["summary"])


def test_healthy_junit_has_no_failures(tmp_path):
    suite = ET.parse(write_reports(load("healthy.result.json"), tmp_path)["junit"]).getroot()
    assert suite.get("failures") == "0"
    assert not [tc for tc in suite.iter("testcase") if tc.find("failure") is not None]


def test_outage_text():
    assert outage_text({"recovered": True, "lost": 37, "outage_s": 0.37}, 0.01) == "370 ± 10 ms"
    assert "not recovered" in outage_text({"recovered": False, "lost": 300, "outage_s": 3.0}, 0.01)
    assert outage_text({"recovered": True, "lost": 0, "outage_s": 0.0}, 0.01) == "none"
