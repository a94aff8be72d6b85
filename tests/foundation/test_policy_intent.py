"""One company-wide policy: the new keys render per platform (goldens), what a platform lacks
is reported (never silent), `oamkit policy explain` says per platform what each key becomes,
and docs/support-matrix.md has a row per policy key, a cell per platform, and says "not
supported" exactly where oamkit leaves a key out."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.platforms import get_platform, platform_names
from oamkit.policy import EVENTS, PolicySpec, resolve_intent
from oamkit.render import plan_hosts, render_plan

from .conftest import REPO, run_cli

GOLDEN = Path(__file__).parent / "golden"
MATRIX = REPO / "docs" / "support-matrix.md"
COMPANY = {"company": {
    "on_unsupported": "skip", "mode": "active", "pdu_interval": "1s", "link_timeout": "5s",
    "link_fault_holdup": "20s", "allow_remote_loopback": True,
    "link_monitor": {"frame_seconds": {"window": "60s", "low": 1},
                     "receive_crc": {"window": "10s", "low": 30, "high": 50, "fallback": "frame"}},
    "high_threshold_action": "error-disable-interface",
    "remote_failure": {"link_fault": "error-disable-interface"}},
    "refuse-loopback": {"extends": "company", "allow_remote_loopback": False}}
HOSTS = {"ios": ("cisco_ios", "GigabitEthernet0/1"), "xr": ("cisco_xr", "TenGigE0/0/0/1"),
         "mx": ("juniper_junos", "ge-0/0/1"), "ne": ("huawei_vrp", "GigabitEthernet0/1/0"),
         "std": ("ieee", "eth0")}


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    folder = tmp_path_factory.mktemp("company")
    (folder / "policies").mkdir()
    (folder / "policies" / "company.yaml").write_text(yaml.safe_dump(COMPANY))
    hosts = {name: {"hostname": "127.0.0.1", "platform": platform,
                    "data": {"oam": {"policy": "company", "speed": "1G", "interfaces": {
                        itf: {}, f"{itf[:-1]}2": {"policy": "refuse-loopback"}}},
                             **({"transport": "netconf"} if platform == "ieee" else {})}}
             for name, (platform, itf) in HOSTS.items()}
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (folder / "groups.yaml").write_text("{}\n")
    (folder / "defaults.yaml").write_text("{}\n")
    inv = Inventory.load(folder)
    return folder, {p.host.name: p for p in plan_hosts(inv, inv.select())}


@pytest.mark.parametrize("host,fmt", [(h, "cli") for h in ("ios", "xr", "mx", "ne")]
                         + [(h, "netconf") for h in ("xr", "mx", "std")])
def test_company_policy_matches_golden(company, host, fmt):
    text = render_plan(company[1][host], fmt)
    golden = GOLDEN / f"company-{host}.{'xml' if fmt == 'netconf' else 'cfg'}"
    if os.environ.get("OAMKIT_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_new_keys_render_the_vendor_lines(company):
    ios, ne = render_plan(company[1]["ios"]).splitlines(), render_plan(company[1]["ne"]).splitlines()
    assert " ethernet oam remote-loopback supported" in ios
    assert ios.count(" ethernet oam remote-loopback supported") == 1    # not on refuse-loopback
    assert " efm holdup-timer 20" in ne
    assert ne.index(" efm holdup-timer 20") > ne.index(" efm trigger if-down")
    assert ne.count(" efm loopback ignore-request") == 1                # only refuse-loopback
    assert " efm error-frame threshold 30" in ne                        # receive_crc fallback
    std = render_plan(company[1]["std"], "netconf")
    assert "<loopback>true</loopback>" in std and "<loopback>false</loopback>" in std


def test_what_a_platform_lacks_is_reported_in_the_notes(company):
    notes = {name: " | ".join(plan.notes) for name, plan in company[1].items()}
    assert "link_fault_holdup (policy company) left out on Cisco IOS/IOS-XE" in notes["ios"]
    assert "high_threshold_action (policy company) left out on Huawei VRP" in notes["ne"]
    assert "link_monitor.receive_crc (policy company) becomes frame on Cisco IOS-XR" in notes["xr"]
    assert "remote_failure.link_fault (policy company) left out on Juniper Junos" in notes["mx"]
    assert "receive_crc" not in notes["ios"]   # IOS has it: no fallback, no note
    # once per host, however many interfaces share the policy
    assert all(len(p.notes) == len(set(p.notes)) for p in company[1].values())


def test_policy_explain_names_what_each_key_becomes_per_platform(company, tmp_path):
    policy_file = tmp_path / "company.yaml"
    policy_file.write_text(yaml.safe_dump({"company": COMPANY["company"]}))
    result = run_cli("policy", "explain", str(policy_file), "--json")
    assert result.returncode == 0, result.stderr
    targets = {t["platform"]: {k["key"]: k for k in t["keys"]} for t in json.loads(result.stdout)["targets"]}
    assert set(targets) == set(platform_names())
    assert targets["huawei_vrp"]["link_fault_holdup"]["commands"] == [" efm holdup-timer 20"]
    assert targets["cisco_ios"]["link_fault_holdup"]["status"] == "skipped"
    assert "IOS has no hold-up timer" in targets["cisco_ios"]["link_fault_holdup"]["details"][0]
    assert targets["cisco_xr"]["link_monitor.receive_crc"]["status"] == "fallback"
    assert "  frame window 10000" in targets["cisco_xr"]["link_monitor.receive_crc"]["commands"]
    assert targets["cisco_ios"]["link_monitor.receive_crc"]["status"] == "configured"
    assert targets["huawei_vrp"]["allow_remote_loopback"]["status"] == "default"
    assert targets["juniper_junos"]["high_threshold_action"]["commands"] == [
        "set protocols oam ethernet link-fault-management action-profile OAMKIT-COMPANY action link-down"]
    # a key that stops a platform is an error there, and the command says so (exit 3)
    loud = tmp_path / "loud.yaml"
    loud.write_text(yaml.safe_dump({"loud": {"link_monitor": {"receive_crc": {
        "low": 3000, "fallback": "frame"}}}}))
    result = run_cli("policy", "explain", str(loud), "--platform", "juniper_junos", "--json")
    assert result.returncode == 3, result.stderr
    outcome = json.loads(result.stdout)["targets"][0]["keys"][0]
    assert outcome["status"] == "error" and "allowed: 1-100 on Juniper Junos" in outcome["details"][0]


def test_junos_high_thresholds_sharing_one_action_are_said(tmp_path):
    """Junos takes an action profile's action only when all its events are true (Juniper,
    "Specifying the Actions to Be Taken for Link-Fault Management Events"): two monitors with
    a high threshold and a link-down action in one profile may not act on the first crossing,
    as IOS, XR and VRP do. Said for Junos, not for the others, and not for one monitor."""
    both = tmp_path / "both.yaml"
    both.write_text(yaml.safe_dump({"both": {
        "link_monitor": {"symbol_period": {"low": 1, "high": 10}, "frame": {"low": 1, "high": 10}},
        "high_threshold_action": "error-disable-interface"}}))
    notes = {}
    for platform in ("juniper_junos", "cisco_ios"):
        result = run_cli("policy", "explain", str(both), "--platform", platform, "--json")
        assert result.returncode == 0, result.stdout
        notes[platform] = " ".join(json.loads(result.stdout)["targets"][0]["notes"])
    assert "high thresholds of frame, symbol_period (policy both) share one Junos action " \
        "profile" in notes["juniper_junos"] and "all of its events are true" in notes["juniper_junos"]
    assert "action profile" not in notes["cisco_ios"], notes
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump({"one": {
        "link_monitor": {"frame": {"low": 1, "high": 10}},
        "high_threshold_action": "error-disable-interface"}}))
    result = run_cli("policy", "explain", str(one), "--platform", "juniper_junos", "--json")
    assert "action profile" not in " ".join(json.loads(result.stdout)["targets"][0]["notes"])


def test_link_timeout_under_three_pdu_intervals_is_said(tmp_path):
    """Huawei: the timeout "must be three times the interval at which the remote interface sends
    OAM PDUs or even longer"; IEEE 802.3ah's own lost-link timer is 5 intervals. A shorter
    timeout rendered without a word."""
    short = tmp_path / "short.yaml"
    short.write_text(yaml.safe_dump({"short": {"pdu_interval": "1s", "link_timeout": "2s"}}))
    result = run_cli("policy", "explain", str(short), "--platform", "huawei_vrp", "--json")
    assert result.returncode == 0, result.stdout
    keys = {k["key"]: k for k in json.loads(result.stdout)["targets"][0]["keys"]}
    assert keys["link_timeout"]["commands"] == [" efm timeout 2000"]
    assert "link_timeout 2s (policy short) is under 3 PDU intervals (1s)" in \
        " ".join(keys["link_timeout"]["details"])
    fine = tmp_path / "fine.yaml"
    fine.write_text(yaml.safe_dump({"fine": {"pdu_interval": "1s", "link_timeout": "5s"}}))
    result = run_cli("policy", "explain", str(fine), "--platform", "huawei_vrp", "--json")
    keys = {k["key"]: k for k in json.loads(result.stdout)["targets"][0]["keys"]}
    assert not keys["link_timeout"]["details"]


def test_policy_explain_per_interface_of_an_inventory(company):
    result = run_cli("policy", "explain", "refuse-loopback", "-i", str(company[0]), "--platform",
                     "huawei_vrp")
    assert result.returncode == 0, result.stderr
    assert "GigabitEthernet0/1/2" in result.stdout
    assert "efm loopback ignore-request" in result.stdout
    bad = run_cli("policy", "explain", "nope", "-i", str(company[0]))
    assert bad.returncode == 2 and "unknown policy 'nope'" in bad.stderr


# ---------------------------------------------------------------- docs/support-matrix.md
# Every device-facing key with an example value, for the "not supported" cross-check.
SAMPLES = {
    "enabled": {"enabled": False}, "mode": {"mode": "active"}, "pdu_interval": {"pdu_interval": "1s"},
    "pdu_max_rate": {"pdu_max_rate": 5}, "link_timeout": {"pdu_interval": "1s", "link_timeout": "5s"},
    "allow_remote_loopback": {"allow_remote_loopback": True},
    "link_fault_holdup": {"link_fault_holdup": "20s"}, "link_monitoring": {"link_monitoring": False},
    **{f"link_monitor.{e}": {"link_monitor": {e: {"low": 1}}} for e in EVENTS},
    "link_monitor.<event>.window": {"link_monitor": {"frame": {"window": "1s"}}},
    "link_monitor.<event>.low": {"link_monitor": {"frame": {"low": 1}}},
    "link_monitor.<event>.high": {"link_monitor": {"frame": {"low": 1, "high": 10}}},
    "high_threshold_action": {"high_threshold_action": "error-disable-interface"},
    **{f"remote_failure.{f}": {"remote_failure": {f: "error-disable-interface"}}
       for f in ("link_fault", "dying_gasp", "critical_event")},
}
OAMKIT_ONLY = {"on_unsupported", "description", "extends", "require_operational",
               "operational_wait", "link_monitor.<event>.fallback", "link_monitor.<event>.on_unsupported"}


def matrix_rows() -> tuple[list[str], dict[str, list[str]]]:
    header, rows = None, {}
    for line in MATRIX.read_text().splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "policy key" or cells[0].startswith("policy key "):
            header = cells[1:]
            continue
        key = re.match(r"`([^`]+)`", cells[0]).group(1)
        rows[key] = cells[1:]
    return header, rows


def test_support_matrix_has_a_row_per_policy_key_and_a_cell_per_platform():
    header, rows = matrix_rows()
    assert sorted(header) == platform_names()   # every platform a column, once
    spec_keys = set(PolicySpec.model_fields) - {"link_monitor", "remote_failure"}
    assert spec_keys <= set(rows), spec_keys - set(rows)
    assert set(SAMPLES) | OAMKIT_ONLY == set(rows)
    for key, cells in rows.items():
        assert len(cells) == len(platform_names()) and all(cells), key


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_support_matrix_says_not_supported_exactly_where_oamkit_leaves_the_key_out(key):
    header, rows = matrix_rows()
    spec = PolicySpec.model_validate({"on_unsupported": "skip", **SAMPLES[key]})
    for platform_name, cell in zip(header, rows[key]):
        intent = resolve_intent(spec, host="h", interface="x", policy="p", speed_bps=10**9)
        _, problems, notes = get_platform(platform_name).translate(intent)
        left_out = any(" left out on " in n for n in notes)
        assert not problems, (key, platform_name, problems)
        assert cell.startswith("not supported on this platform") == left_out, (key, platform_name, cell)
