"""netmiko (real client, real SSH, host keys verified) drives each CLI personality of the lab:
connect, paging off, show, config + commit, confirmed commit with automatic rollback, and the
devices' own error texts."""
from __future__ import annotations

import re
import time

import pytest
from netmiko import ConnectHandler

pytestmark = [pytest.mark.lab, pytest.mark.timeout(60)]

PROMPTS = {
    "ios-1": r"^ios-1#$",
    "xr-1": r"^RP/0/RP0/CPU0:xr-1#$",
    "junos-1": r"^admin@junos-1>$",
    "vrp-1": r"^<vrp-1>$",
}
PAGING = {"ios-1": "terminal length 0", "xr-1": "terminal length 0",
          "junos-1": "set cli screen-length 0", "vrp-1": "screen-length 0 temporary"}


def connect(lab, name, **extra):
    return ConnectHandler(**lab.netmiko_params(name, lab.known_hosts, **extra))


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def caret_under(output: str, token: str) -> bool:
    """The caret line sits under ``token`` of the echoed command line just above it."""
    lines = output.replace("\r", "").split("\n")
    for i, line in enumerate(lines):
        if line.strip() == "^" and i > 0:
            above = lines[i - 1]
            col = line.index("^")
            return above[col:col + len(token)] == token
    return False


@pytest.mark.parametrize("name", list(PROMPTS))
def test_connect_paging_show_with_host_key_checking(lab, name):
    with connect(lab, name) as conn:
        assert re.match(PROMPTS[name], conn.find_prompt())
        version = conn.send_command("display version" if name == "vrp-1" else "show version")
    dev = lab.devices[name]
    expected = {"ios-1": "Cisco IOS Software", "xr-1": "Cisco IOS XR Software",
                "junos-1": "Junos: 21.4R3.15", "vrp-1": "VRP (R) software"}[name]
    assert expected in version
    assert PAGING[name] in dev.commands()
    assert dev.config_commands() == []          # a show-only session never entered config mode


def test_nul_probe_is_discarded_like_a_tty(lab):
    """netmiko's is_alive() writes a NUL into the session; a device line discipline drops it."""
    with connect(lab, "junos-1") as conn:
        conn.config_mode()
        assert conn.is_alive()
        out = conn.send_command("show | compare")
        conn.exit_config_mode()
    assert "syntax error" not in out
    assert not any("\x00" in e.text for e in lab.devices["junos-1"].transcript)


def test_wrong_host_key_is_refused(lab, tmp_path):
    import asyncssh
    from paramiko.ssh_exception import SSHException

    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2]
    bad = tmp_path / "bad_known_hosts"
    bad.write_text(f"[127.0.0.1]:{lab.ports['ios-1']} {other[0]} {other[1]}\n")
    with pytest.raises(SSHException):
        ConnectHandler(**lab.netmiko_params("ios-1", bad))


def test_pager_when_paging_is_on(lab):
    with connect(lab, "ios-1") as conn:
        conn.send_command("terminal length 10")
        out = conn.send_command("show running-config", expect_string=r"--More--")
        assert "--More--" in out and "end" not in out.split()
        rest = ""
        for _ in range(10):                 # a space shows the next page, like a real terminal
            conn.write_channel(" ")
            rest += conn.read_until_pattern(r"(--More--|ios-1#)", read_timeout=5)
            if rest.rstrip().endswith("ios-1#"):
                break
        assert "end" in rest.split()


def test_ios_config_and_show_from_state(lab):
    with connect(lab, "ios-1") as conn:
        out = conn.send_config_set([
            "interface GigabitEthernet0/1", "ethernet oam", "ethernet oam mode passive",
            "ethernet oam link-monitor frame window 20",
            "ethernet oam link-monitor frame threshold high 10",
            "ethernet oam link-monitor receive-crc window 100"])
        assert "Invalid" not in out
        run = conn.send_command("show running-config interface GigabitEthernet0/1")
        status = conn.send_command("show ethernet oam status interface GigabitEthernet0/1")
        conn.send_config_set(["interface GigabitEthernet0/1", "no ethernet oam link-monitor frame threshold high"])
        after = conn.send_command("show running-config interface GigabitEthernet0/1")
    assert " ethernet oam link-monitor frame window 20" in run
    assert "Window:              20 x 100 milliseconds" in status
    assert "Mode:                  passive" in status
    assert "High threshold:      10 error frame(s)" in status
    assert "frame threshold high" not in after and "frame window 20" in after
    assert "configure terminal" in lab.devices["ios-1"].commands()
    assert "ethernet oam mode passive" in lab.devices["ios-1"].config_commands()


def test_ios_template_and_source_template(lab):
    with connect(lab, "ios-1") as conn:
        out = conn.send_config_set([
            "template OAMKIT-LAB", "ethernet oam link-monitor frame-seconds window 300",
            "interface GigabitEthernet0/2", "ethernet oam", "source template OAMKIT-LAB"])
        assert "Invalid" not in out and "(config-template)#" in out
        status = conn.send_command("show ethernet oam status interface GigabitEthernet0/2")
    assert "Window:              300 x 100 milliseconds" in status


@pytest.mark.parametrize("line,token", [
    ("ethernet oam timeout 50", "50"),                      # out of range 2-30
    ("ethernet oam link-monitor frame window 5", "5"),      # out of range 10-600
    ("ethernet oam bogus 1", "bogus"),                      # unknown keyword
])
def test_ios_invalid_input_caret(lab, line, token):
    with connect(lab, "ios-1") as conn:
        out = conn.send_config_set(["interface GigabitEthernet0/1", "ethernet oam", line])
    assert "% Invalid input detected at '^' marker." in out
    assert caret_under(out, token)


def test_ios_wrong_mode_and_rules(lab):
    with connect(lab, "ios-1") as conn:
        exec_out = conn.send_command("ethernet oam link-monitor frame window 10")
        no_oam = conn.send_config_set(["interface GigabitEthernet0/3",
                                       "ethernet oam link-monitor frame window 10"])
        low_high = conn.send_config_set(["interface GigabitEthernet0/1", "ethernet oam",
                                         "ethernet oam link-monitor frame threshold high 10",
                                         "ethernet oam link-monitor frame threshold low 10"])
        incomplete = conn.send_config_set(["interface GigabitEthernet0/1", "ethernet oam link-monitor frame"])
    assert "% Invalid input detected at '^' marker." in exec_out
    assert "% OAM not enabled on interface" in no_oam
    assert "% Low threshold must be lower than high threshold" in low_high
    assert "% Incomplete command." in incomplete
    running = lab.devices["ios-1"].running.to_text()
    assert "frame threshold low 10" not in running
    assert "GigabitEthernet0/3\n no ip address\n" in running + "\n"


def test_ios_enable_with_secret_and_password_masking(tmp_path):
    from oamkit.lab.server import Lab

    lab = Lab(devices=[("ios-9", "cisco_ios")], ios_start_privileged=False,
              enable_secret="s3cret-enable").start()
    try:
        lab.known_hosts = lab.write_known_hosts(tmp_path / "kh")
        with connect(lab, "ios-9", secret="s3cret-enable") as conn:
            assert conn.find_prompt() == "ios-9>"
            conn.enable()
            assert conn.find_prompt() == "ios-9#"
        text = "\n".join(e.text for e in lab.devices["ios-9"].transcript)
        assert "s3cret-enable" not in text and lab.password not in text
        assert "********" in text
    finally:
        lab.stop()


def test_ios_revert_timer_rolls_back(lab):
    dev = lab.devices["ios-1"]
    dev.time_scale = 0.05                     # 1 minute = 3 s: room to act, even on a busy machine
    with connect(lab, "ios-1") as conn:
        conn.send_command("configure terminal revert timer 1", expect_string=r"\(config\)#")
        conn.send_command("hostname renamed-ios", expect_string=r"\(config\)#")
        conn.send_command("end", expect_string=r"#")
        assert dev.running.get(["hostname renamed-ios"]) is not None
        assert wait_for(lambda: dev.running.get(["hostname renamed-ios"]) is None, timeout=15)
    assert dev.running.get(["hostname ios-1"]) is not None


XR_PROFILE = ["ethernet oam profile OAMKIT-LAB", "mode passive", "hello-interval 1s",
              "connection timeout 5", "link-monitor", "frame window 1000",
              "frame threshold low 1 high 10", "frame-seconds window 60000",
              "interface GigabitEthernet0/0/0/0", "ethernet oam", "profile OAMKIT-LAB"]


def test_xr_candidate_commit_and_commit_changes(lab):
    dev = lab.devices["xr-1"]
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(XR_PROFILE)
        assert dev.running.get(["ethernet oam profile OAMKIT-LAB"]) is None   # not yet committed
        assert dev.candidate.get(["ethernet oam profile OAMKIT-LAB", "link-monitor"]) is not None
        conn.commit()
        conn.exit_config_mode()
        changes = conn.send_command("show configuration commit changes last 1")
        oam = conn.send_command("show running-config ethernet oam")
        intf = conn.send_command("show ethernet oam configuration interface GigabitEthernet0/0/0/0")
    assert dev.running.get(["ethernet oam profile OAMKIT-LAB", "link-monitor",
                            "frame threshold low 1 high 10"]) is not None
    assert "+ ethernet oam profile OAMKIT-LAB" in changes
    assert oam.splitlines()[0].endswith("UTC")          # XR prints a timestamp before show output
    assert "ethernet oam profile OAMKIT-LAB" in oam and "  frame window 1000" in oam
    assert "Frame high threshold: 10" in intf and "Configured mode: Passive" in intf


def test_xr_exit_with_uncommitted_changes_discards_them(lab):
    dev = lab.devices["xr-1"]
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(["hostname xr-renamed"])
        out = conn.exit_config_mode()
    assert "Uncommitted changes found, commit them before exiting(yes/no/cancel)? [cancel]:" in out
    assert dev.candidate == dev.running and dev.running.get(["hostname xr-renamed"]) is None


def test_xr_no_removes_exactly_the_named_block_or_line(lab):
    dev = lab.devices["xr-1"]
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(["ethernet oam profile P1", "link-monitor", "frame window 2000",
                              "frame threshold low 1 high 10", "ethernet oam profile P2", "mode passive"])
        conn.commit()
        conn.send_config_set(["ethernet oam profile P1", "link-monitor", "no frame threshold",
                              "no ethernet oam profile P2"])
        conn.commit()
        conn.exit_config_mode()
    assert dev.running.get(["ethernet oam profile P2"]) is None
    lm = dev.running.get(["ethernet oam profile P1", "link-monitor"])
    assert [c.line for c in lm.children] == ["frame window 2000"]


def test_xr_errors(lab):
    with connect(lab, "xr-1") as conn:
        high_only = conn.send_config_set(["ethernet oam profile P", "link-monitor", "frame threshold high 10"])
        active = conn.send_config_set(["ethernet oam profile P", "mode active"])
        window = conn.send_config_set(["ethernet oam profile P", "link-monitor", "frame-seconds window 60500"])
        conn.send_command("abort", expect_string=r"#")
    assert "% Invalid input detected at '^' marker." in high_only and caret_under(high_only, "high")
    assert "% Invalid input detected at '^' marker." in active and caret_under(active, "active")
    assert "% Invalid input detected at '^' marker." in window and caret_under(window, "60500")


def test_xr_commit_confirmed_rolls_back_unless_confirmed(lab):
    dev = lab.devices["xr-1"]
    with connect(lab, "xr-1") as conn:
        conn.send_config_set(["hostname xr-confirmed"])
        conn.commit(confirm=True, confirm_delay=100)           # 100 s x 0.01 = 1 s
        assert dev.running.get(["hostname xr-confirmed"]) is not None and dev.confirm_pending
        assert wait_for(lambda: dev.running.get(["hostname xr-confirmed"]) is None, timeout=15)
        conn.send_config_set(["hostname xr-kept"])
        conn.commit(confirm=True, confirm_delay=200)            # 2 s
        conn.commit()                                           # plain commit confirms
        time.sleep(2.5)                                         # past the window: nothing rolls back
        conn.exit_config_mode()
    assert dev.running.get(["hostname xr-kept"]) is not None and not dev.confirm_pending


JUNOS_LINES = [
    "set protocols oam ethernet link-fault-management action-profile OAMKIT-LAB action link-down",
    "set protocols oam ethernet link-fault-management action-profile OAMKIT-LAB event link-event-rate frame-error 10",
    "set protocols oam ethernet link-fault-management interface ge-0/0/0 link-discovery active",
    "set protocols oam ethernet link-fault-management interface ge-0/0/0 pdu-interval 1000",
    "set protocols oam ethernet link-fault-management interface ge-0/0/0 event-thresholds frame-error 5",
    "set protocols oam ethernet link-fault-management interface ge-0/0/0 apply-action-profile OAMKIT-LAB",
]


def test_junos_set_compare_commit_and_display_set(lab):
    dev = lab.devices["junos-1"]
    with connect(lab, "junos-1") as conn:
        conn.send_config_set(JUNOS_LINES, exit_config_mode=False)
        compare = conn.send_command("show | compare")
        conn.commit()
        conn.exit_config_mode()
        curly = conn.send_command("show configuration protocols oam")
        flat = conn.send_command("show configuration | display set")
        lfm = conn.send_command("show oam ethernet link-fault-management")
    assert "[edit]" in compare and "+  protocols {" in compare
    assert "link-fault-management {" in curly and "pdu-interval 1000;" in curly
    for line in JUNOS_LINES:
        assert line in flat
    assert "Interface: ge-0/0/0" in lfm and "Discovery state: Send Any" in lfm
    assert dev.commit_history[-1].after == dev.running


def test_junos_errors(lab):
    base = "set protocols oam ethernet link-fault-management interface ge-0/0/0 "
    with connect(lab, "junos-1") as conn:
        # "top" first: netmiko glues the first echoed line to the prompt without its trailing space
        window = conn.send_config_set(["top", base + "event-thresholds window 10"], exit_config_mode=False)
        pdu = conn.send_config_set(["top", base + "pdu-interval 50"], exit_config_mode=False)
        conn.send_command("rollback 0", expect_string=r"#")
        conn.exit_config_mode()
        exec_mode_set = conn.send_command("set protocols oam")      # operational mode: wrong mode
    assert "syntax error." in window and caret_under(window, "window")
    assert "error: value 50 is not within range (100..1000)" in pdu and caret_under(pdu, "50")
    assert "syntax error." in exec_mode_set
    assert lab.devices["junos-1"].candidate == lab.devices["junos-1"].running


def test_junos_commit_confirmed_automatic_rollback_and_rollback_n(lab):
    dev = lab.devices["junos-1"]
    dev.time_scale = 0.05                                       # 1 minute = 3 s
    with connect(lab, "junos-1") as conn:
        conn.send_config_set([JUNOS_LINES[2]], exit_config_mode=False)
        out = conn.commit(confirm=True, confirm_delay=1)
        assert "commit confirmed will be automatically rolled back in 1 minutes unless confirmed" in out
        assert dev.running.get(["protocols"]) is not None
        assert wait_for(lambda: dev.running.get(["protocols"]) is None, timeout=15)
        conn.send_config_set([JUNOS_LINES[2]], exit_config_mode=False)
        conn.commit()
        conn.send_command("rollback 1", expect_string=r"#")
        compare = conn.send_command("show | compare")
        conn.commit()
        conn.exit_config_mode()
    assert "-  protocols {" in compare
    assert dev.running.get(["protocols"]) is None


def test_junos_commit_check_refuses_undefined_action_profile(lab):
    with connect(lab, "junos-1") as conn:
        conn.send_config_set([JUNOS_LINES[5]], exit_config_mode=False)
        with pytest.raises(ValueError, match="configuration check-out failed"):
            conn.commit()
        conn.send_command("rollback 0", expect_string=r"#")
        conn.exit_config_mode()


def test_huawei_two_stage_commit(lab):
    dev = lab.devices["vrp-1"]
    with connect(lab, "vrp-1") as conn:
        out = hw_lines(conn, ["efm enable", "interface GigabitEthernet0/1/0", "efm mode active",
                              "efm interval 1000", "efm enable", "efm error-frame period 1",
                              "efm error-frame threshold 1", "efm error-frame notification enable",
                              "efm error-frame-period period 200000"])
        assert "[*vrp-1-GigabitEthernet0/1/0]" in out and "Error" not in out
        assert dev.running.get(["efm enable"]) is None
        conn.commit()
        assert conn.find_prompt() == "<vrp-1>"
        conf = conn.send_command("display current-configuration interface GigabitEthernet0/1/0")
        efm = conn.send_command("display efm interface GigabitEthernet0/1/0")
        hw_lines(conn, ["interface GigabitEthernet0/1/0", "undo efm error-frame threshold", "commit"])
    assert " efm error-frame-period period 200000" in conf
    assert "EFM Enable Flag:               enable" in efm
    assert dev.running.get(["interface GigabitEthernet0/1/0", "efm error-frame threshold 1"]) is None


def hw_lines(conn, lines):
    """Send config lines one by one (netmiko's Huawei driver checks config mode by timing, ~2 s a
    call); returns the screen text with each prompt in front of its echoed line."""
    screen = conn.find_prompt()
    if not screen.endswith("]"):
        screen = conn.send_command("system-view", expect_string=r"\]\s*$", strip_prompt=False)
        screen = screen.split("\n")[-1]
    for line in lines:
        screen += conn.send_command(line, expect_string=r"[\]>]\s*$", strip_prompt=False,
                                    strip_command=False)
    return screen


def test_huawei_errors(lab):
    with connect(lab, "vrp-1") as conn:
        no_global = hw_lines(conn, ["interface GigabitEthernet0/1/1", "efm enable"])
        period = hw_lines(conn, ["quit", "efm enable", "interface GigabitEthernet0/1/1",
                                 "efm error-frame-period period 200000"])
        interval = hw_lines(conn, ["efm enable", "efm interval 500"])
        # mode and interval, set or back to the default, only while the interface's EFM is off
        mode = hw_lines(conn, ["efm mode passive"])
        undo_mode, undo_interval = hw_lines(conn, ["undo efm mode"]), hw_lines(conn, ["undo efm interval"])
        lifted = hw_lines(conn, ["undo efm enable", "efm mode passive", "efm interval 500",
                                 "undo efm mode", "undo efm interval", "efm mode passive", "efm enable"])
        after = conn.send_command("display configuration candidate")
        wrong = hw_lines(conn, ["efm timeout 5000", "efm interval 150"])
        unknown = hw_lines(conn, ["efm bogus 1"])
        conn.send_command("abort", expect_string=r">")
    assert "Error: Please enable EFM OAM globally first." in no_global
    assert "Error: Please enable EFM OAM on the interface first." in period
    assert "Error: The interval cannot be changed when EFM OAM is enabled on the interface." in interval
    assert "Error: The working mode cannot be changed when EFM OAM is enabled on the interface." in mode
    assert "Error: The working mode cannot be changed when EFM OAM is enabled on the interface." in undo_mode
    assert "Error: The interval cannot be changed when EFM OAM is enabled on the interface." in undo_interval
    assert "Error" not in lifted and " efm mode passive" in after and "efm interval" not in after
    assert "Error: Wrong parameter found at '^' position." in wrong and caret_under(wrong, "150")
    assert "Error: Unrecognized command found at '^' position." in unknown and caret_under(unknown, "bogus")
    assert lab.devices["vrp-1"].candidate == lab.devices["vrp-1"].running   # abort dropped it all


def test_huawei_return_with_uncommitted_changes_asks(lab):
    dev = lab.devices["vrp-1"]
    with connect(lab, "vrp-1") as conn:
        hw_lines(conn, ["sysname renamed"])
        out = conn.send_command("return", expect_string=r"\[Y\(yes\)/N\(no\)/C\(cancel\)\]:")
        assert "Uncommitted configurations found" in out
        conn.send_command("y", expect_string=r">")
    assert dev.running.get(["sysname renamed"]) is not None


def test_cli_and_shared_state_across_sessions(lab):
    """Two sessions see one candidate: what one sets, the other's `show | compare` shows."""
    with connect(lab, "junos-1") as a, connect(lab, "junos-1") as b:
        a.send_config_set([JUNOS_LINES[3]], exit_config_mode=False)
        b.config_mode()
        compare = b.send_command("show | compare")
        b.exit_config_mode()
        a.send_command("rollback 0", expect_string=r"#")
        a.exit_config_mode()
    assert "pdu-interval 1000;" in compare
