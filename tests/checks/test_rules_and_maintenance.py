"""Rules files and maintenance input are validated before anything is contacted; windows end
by themselves."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from oamkit import maintenance
from oamkit.checks import Rules
from oamkit.errors import InputError


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("OAMKIT_STATE_DIR", str(tmp_path / "state"))


class Host:
    def __init__(self, name, marked=None):
        self.name, self.maintenance = name, marked


def test_default_rules_and_a_valid_file(tmp_path):
    assert Rules.load(None).error_rate.high == "critical"
    f = tmp_path / "rules.yaml"
    f.write_text("rules:\n  link_events: {severity: critical}\n  config_drift: {enabled: false}\n"
                 "  error_rate: {low: critical, window: 300}\n")
    rules = Rules.load(f)
    assert rules.link_events.severity == "critical"
    assert rules.config_drift.enabled is False
    assert rules.error_rate.low == "critical" and rules.error_rate.window == 300


@pytest.mark.parametrize("text, where", [
    ("link_event: {severity: warning}\n", "link_event"),            # misspelt rule
    ("oam_session: {severity: fatal}\n", "oam_session.severity"),   # unknown severity
    ("error_rate: {window: -5}\n", "error_rate.window"),
    ("- just a list\n", None),
])
def test_bad_rules_files_are_bad_input_naming_the_key(tmp_path, text, where):
    f = tmp_path / "rules.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as caught:
        Rules.load(f)
    assert str(f) in str(caught.value)
    if where:
        assert where in str(caught.value)


def test_a_window_is_active_until_it_ends_by_itself():
    now = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
    w = maintenance.add(["r1", "r2"], "2h", "optics swap", now=now)
    assert w.until == now + timedelta(hours=2)
    assert maintenance.status_for(Host("r1"), now=now + timedelta(hours=1))["reason"] == "optics swap"
    assert maintenance.status_for(Host("r3"), now=now + timedelta(hours=1)) is None
    assert maintenance.status_for(Host("r1"), now=now + timedelta(hours=2, seconds=1)) is None


def test_iso_times_without_zone_are_utc():
    assert maintenance.parse_until("2026-11-23T06:00").tzinfo == timezone.utc
    assert maintenance.parse_until("2026-11-23T06:00Z").hour == 6


@pytest.mark.parametrize("until, reason, field", [
    ("yesterday", "reason ok", "--until"),
    ("2000-01-01T00:00Z", "reason ok", "--until"),
    ("5y", "reason ok", "--until"),
    ("900d", "reason ok", "--until"),
    ("2h", "", "--reason"),
])
def test_bad_maintenance_input_is_refused(until, reason, field):
    with pytest.raises(InputError) as caught:
        maintenance.add(["r1"], until, reason)
    assert field in str(caught.value)
    assert maintenance.active_windows() == []


def test_remove_by_id_and_by_host():
    a = maintenance.add(["r1", "r2"], "1h", "work one")
    maintenance.add(["r3"], "1h", "work two")
    maintenance.remove(host="r1")
    hosts = sorted(h for w in maintenance.active_windows() for h in w.hosts)
    assert hosts == ["r2", "r3"]
    maintenance.remove(a.id)
    assert [w.hosts for w in maintenance.active_windows()] == [["r3"]]
    with pytest.raises(InputError):
        maintenance.remove("nope")


def test_inventory_can_mark_a_host_down_or_in_maintenance():
    assert maintenance.status_for(Host("r1", {"down": True, "reason": "decommissioning"}))["kind"] == "down"
    past = {"until": "2000-01-01T00:00Z", "reason": "old"}
    assert maintenance.status_for(Host("r1", past)) is None


def test_a_damaged_maintenance_file_is_bad_input(tmp_path):
    (tmp_path / "state").mkdir(exist_ok=True)
    (tmp_path / "state" / "maintenance.json").write_text("{broken")
    with pytest.raises(InputError, match="damaged"):
        maintenance.active_windows()


def test_the_example_rules_file_is_valid():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "checks" / "rules.yaml"
    rules = Rules.load(example)
    assert rules.error_rate.low == "warning" and rules.unreachable == "unknown"


def test_inventory_marks_must_be_absolute_and_well_formed():
    problems = maintenance.inventory_problems([
        Host("r1", {"until": "2h", "reason": "x"}),
        Host("r2", {"until": "next tuesday"}),
        Host("r3", {"down": True, "reason": "decommissioning"}),
        Host("r4", {"dwon": True}),
    ])
    by_host = {p.host: str(p) for p in problems}
    assert set(by_host) == {"r1", "r2", "r4"}
    assert "relative one would never end" in by_host["r1"]


def test_overlapping_windows_report_the_latest_end_and_every_reason():
    # the host is released when the last window ends, whatever order they were added in
    now = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
    maintenance.add(["r1"], "2h", "optics swap", now=now)
    long = maintenance.add(["r1"], "2026-11-23T00:00Z", "fibre works", now=now)
    short = maintenance.add(["r1"], "3h", "line card", now=now)
    held = maintenance.status_for(Host("r1"), now=now + timedelta(minutes=1))
    assert held["until"] == long.until.isoformat(timespec="seconds")
    assert held["reason"] == "optics swap; fibre works; line card"
    assert long.id in held["source"] and short.id in held["source"]
    # an inventory mark without an end holds the host after every window
    forever = maintenance.status_for(Host("r1", {"down": True, "reason": "decommissioning"}),
                                     now=now + timedelta(minutes=1))
    assert (forever["kind"], forever["until"]) == ("down", None)
