"""Golden tests of rendered output per platform, and line checks against the vendor notes."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from oamkit.inventory import Inventory
from oamkit.render import environment, plan_hosts, render_plan

from .conftest import EXAMPLE, run_cli

GOLDEN = Path(__file__).parent / "golden"
HOSTS = ["ams-ios-1", "ams-ios-tpl", "ams-xr-1", "fra-xr-1", "fra-mx-1", "fra-ne-1"]


@pytest.fixture(scope="module")
def plans():
    inv = Inventory.load(EXAMPLE)
    return {p.host.name: p for p in plan_hosts(inv, inv.select())}


NETCONF_HOSTS = ["ams-xr-1", "fra-xr-1", "fra-mx-1"]   # SSH-only platforms have no netconf form


@pytest.mark.parametrize("host,fmt", [(h, "cli") for h in HOSTS] + [(h, "netconf") for h in NETCONF_HOSTS])
def test_rendered_output_matches_golden(plans, host, fmt):
    plan = plans[host]
    text = render_plan(plan, fmt)
    golden = GOLDEN / f"{host}.{'xml' if fmt == 'netconf' else 'cfg'}"
    if os.environ.get("OAMKIT_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def lines(plans, host):
    return render_plan(plans[host]).splitlines()


def test_ios_lines_follow_the_command_reference(plans):
    out = lines(plans, "ams-ios-1")
    gi1 = out[out.index("interface GigabitEthernet0/1"):out.index("interface GigabitEthernet0/2")]
    # `ethernet oam` first: link-monitor lines are rejected until OAM is on the interface.
    assert gi1[1] == " ethernet oam"
    assert all(i > 1 for i, l in enumerate(gi1) if "link-monitor" in l)
    assert " ethernet oam link-monitor frame-period threshold low 500" in gi1
    assert " ethernet oam link-monitor frame-period window 100" in gi1   # 1,000,000 frames / 10,000
    assert " ethernet oam link-monitor receive-crc window 100" in gi1    # 10 s in 100 ms periods
    assert " ethernet oam link-monitor receive-crc threshold low 3000" in gi1
    assert " ethernet oam link-monitor frame window 10" in gi1           # 1 s
    assert " ethernet oam link-monitor frame-seconds window 600" in gi1  # 60 s
    assert " ethernet oam link-monitor frame-period threshold high none" in gi1
    assert " ethernet oam link-monitor high-threshold action error-disable-interface" in gi1
    assert " ethernet oam remote-failure dying-gasp action error-disable-interface" in gi1
    assert " ethernet oam link-monitor receive-crc threshold low 2000" in out  # Gi0/2 override


def test_ios_template_form_binds_the_template_after_ethernet_oam(plans):
    out = lines(plans, "ams-ios-tpl")
    assert out[0] == "template OAMKIT-LAB-IOS"
    assert " ethernet oam link-monitor receive-crc threshold low 3000" in out[:out.index("interface GigabitEthernet0/1")]
    itf = out[out.index("interface GigabitEthernet0/1"):]
    assert itf.index(" source template OAMKIT-LAB-IOS") > itf.index(" ethernet oam")


def test_xr_profile_uses_milliseconds_and_one_line_thresholds(plans):
    out = lines(plans, "ams-xr-1")
    assert out[0] == "ethernet oam profile OAMKIT-LAB-XR"
    assert "  frame window 1000" in out
    assert "  frame-seconds window 60000" in out
    assert "  frame threshold low 1 high 10" in out
    assert " mode active" not in out          # refused inside a profile
    assert out[out.index("interface TenGigE0/0/0/1") + 1:][:2] == [" ethernet oam", "  profile OAMKIT-LAB-XR"]


def test_junos_has_event_thresholds_and_no_windows(plans):
    out = lines(plans, "fra-mx-1")
    base = "set protocols oam ethernet link-fault-management"
    assert f"{base} interface ge-0/0/0 event-thresholds frame-error 1" in out
    assert f"{base} interface ge-0/0/0 event-thresholds frame-period-summary 1" in out
    assert f"{base} interface ge-0/0/0 pdu-threshold 5" in out   # 5 s timeout / 1 s PDUs
    assert f"{base} action-profile OAMKIT-LAB-JUNOS event link-event-rate frame-error 10" in out
    assert f"{base} action-profile OAMKIT-LAB-JUNOS action link-down" in out
    assert not any("window" in line for line in out)


def test_huawei_triplets_and_order(plans):
    out = lines(plans, "fra-ne-1")
    assert out[0] == "efm enable"
    itf = out[1:out.index("#")]
    for keyword, period in (("error-frame", 1), ("error-frame-second", 60),
                            ("error-frame-period", 200000), ("error-code", 1)):
        i = itf.index(f" efm {keyword} period {period}")
        assert itf[i + 1] == f" efm {keyword} threshold 1"
        assert itf[i + 2] == f" efm {keyword} notification enable"
    assert itf.index(" efm interval 1000") < itf.index(" efm enable") < itf.index(" efm error-frame-period period 200000")


def test_netconf_payloads_are_well_formed_xml(plans):
    for host in ("ams-xr-1", "fra-mx-1"):
        etree.fromstring(render_plan(plans[host], "netconf").encode())


def test_user_template_folder_overrides_ours_file_by_file(plans, tmp_path):
    (tmp_path / "huawei_vrp").mkdir()
    (tmp_path / "huawei_vrp" / "interface.j2").write_text(
        "{% for itf in interfaces %}interface {{ itf.interface }} # team template\n{% endfor %}")
    env = environment([tmp_path])
    assert render_plan(plans["fra-ne-1"], env=env).splitlines()[0].endswith("# team template")
    assert render_plan(plans["ams-ios-1"], env=env) == render_plan(plans["ams-ios-1"])


def test_hosts_with_equal_inputs_share_one_rendering_and_a_host_reading_template_is_not_cached(
        plans, tmp_path):
    import copy

    # Two hosts with the same interfaces and intents: one text, rendered once (the cache).
    plan = plans["ams-xr-1"]
    twin = copy.deepcopy(plan)
    twin.host = twin.host.model_copy(update={"name": "ams-xr-twin"})
    assert render_plan(twin) is render_plan(plan)
    # A value that differs only in type renders differently and must not hit the cache.
    twin.interfaces[0].vendor = {**twin.interfaces[0].vendor, "enabled": 1}
    assert render_plan(twin) is not render_plan(plan)
    # A team template that reads `host` is rendered per host, never from the cache.
    (tmp_path / "huawei_vrp").mkdir()
    (tmp_path / "huawei_vrp" / "interface.j2").write_text(
        "{% for itf in interfaces %}interface {{ itf.interface }} # {{ host.name }}\n{% endfor %}")
    env = environment([tmp_path])
    vrp = plans["fra-ne-1"]
    other = copy.deepcopy(vrp)
    other.host = other.host.model_copy(update={"name": "fra-ne-other"})
    assert render_plan(vrp, env=env).splitlines()[0].endswith("# fra-ne-1")
    assert render_plan(other, env=env).splitlines()[0].endswith("# fra-ne-other")


def test_render_command_writes_one_file_per_host_and_json(tmp_path):
    result = run_cli("render", "-i", str(EXAMPLE), "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{h}.cfg" for h in HOSTS)
    import json
    payload = json.loads(result.stdout)
    assert {h["host"] for h in payload["hosts"]} == set(HOSTS)


def test_render_filter_and_limit(tmp_path):
    result = run_cli("render", "-i", str(EXAMPLE), "--filter", "platform=cisco_xr", "--json")
    import json
    assert [h["host"] for h in json.loads(result.stdout)["hosts"]] == ["ams-xr-1", "fra-xr-1"]
    result = run_cli("render", "-i", str(EXAMPLE), "--filter", "site=fra", "--filter",
                     "group!=core", "--json")
    assert [h["host"] for h in json.loads(result.stdout)["hosts"]] == ["fra-ne-1"]
    result = run_cli("render", "-i", str(EXAMPLE), "--limit", "ams-ios-1", "--json")
    assert [h["host"] for h in json.loads(result.stdout)["hosts"]] == ["ams-ios-1"]


def _fleet(folder: Path, hosts: int) -> Path:
    """`hosts` hosts, half IOS, half Junos, one policy whose event windows Junos leaves out
    (`on_unsupported: skip`: a note on every Junos host)."""
    (folder / "policies").mkdir(parents=True)
    (folder / "policies" / "fleet.yaml").write_text(
        "fleet:\n  on_unsupported: skip\n  mode: active\n"
        "  link_monitor:\n    frame: {window: 1s, low: 1}\n    frame_seconds: {window: 60s, low: 1}\n")
    (folder / "defaults.yaml").write_text("data:\n  oam:\n    policy: fleet\n")
    (folder / "groups.yaml").write_text("ios:\n  platform: cisco_ios\njunos:\n  platform: juniper_junos\n")
    (folder / "hosts.yaml").write_text("".join(
        f"ios-{n}:\n  groups: [ios]\n  data: {{oam: {{interfaces: {{Gi0/1: {{}}, Gi0/2: {{}}}}}}}}\n"
        f"mx-{n}:\n  groups: [junos]\n  data: {{oam: {{interfaces: {{ge-0/0/0: {{}}, ge-0/0/1: {{}}}}}}}}\n"
        for n in range(hosts // 2)))
    return folder


def test_a_large_fleet_is_summarised_per_platform_and_verbose_lists_every_host(tmp_path):
    inv = _fleet(tmp_path / "inv", 60)
    ours = {p.host.name: p for p in plan_hosts(Inventory.load(inv), Inventory.load(inv).select())}
    lines = {name: len(render_plan(plan).splitlines()) for name, plan in ours.items()}
    result = run_cli("render", "-i", str(inv), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"Rendered cli for 60 host(s) into {tmp_path / 'out'}" in out
    assert len(list((tmp_path / "out").iterdir())) == 60
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:5]]
            for line in out.splitlines() if line.startswith("│")}
    assert rows == {
        "Cisco IOS/IOS-XE": ["30", "60", str(sum(v for k, v in lines.items() if k.startswith("ios")))],
        "Juniper Junos": ["30", "60", str(sum(v for k, v in lines.items() if k.startswith("mx")))]}
    assert "ios-7" not in out and "mx-7" not in out          # no row per host
    notes = ours["mx-0"].notes
    assert len(notes) == 2, "the test needs a host with notes"
    for note in notes:                       # each distinct note once, with its host count
        assert out.count(note) == 1
        assert f"note (30 host(s), e.g. mx-0): {note}" in out

    verbose = run_cli("render", "-i", str(inv), "--verbose").stdout
    assert all(f"│ {name} " in verbose for name in ours)
    assert verbose.count(notes[0]) == 30     # the full table: the note on each Junos row


def test_a_small_fleet_keeps_one_row_per_host(tmp_path):
    inv = _fleet(tmp_path / "inv", 50)
    out = run_cli("render", "-i", str(inv)).stdout
    assert "Rendered cli for 50 host(s)" in out
    assert all(f"│ {base}-{n} " in out for n in range(25) for base in ("ios", "mx"))
