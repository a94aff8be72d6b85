"""The lab's Junos CLI keeps a deactivated statement, as Junos does: shown, printed by
`| display set` as a `deactivate` line after the set lines, and without effect (the LFM
session of a deactivated interface is gone); `activate` brings it back, and `set`/`delete`
reach into an inactive statement. Driven by netmiko, an independent client."""
from __future__ import annotations

import pytest
from netmiko import ConnectHandler

pytestmark = [pytest.mark.lab, pytest.mark.timeout(60)]

LFM = "protocols oam ethernet link-fault-management"
LINES = [f"set {LFM} interface ge-0/0/0 pdu-interval 1000",
         f"set {LFM} interface ge-0/0/1 pdu-interval 1000"]


def _commit(conn, lines):
    out = conn.send_config_set(["top", *lines], exit_config_mode=False)
    conn.commit()
    return out


def test_deactivate_activate_and_edits_inside_an_inactive_statement(lab):
    dev = lab.devices["junos-1"]
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        _commit(conn, LINES)
        _commit(conn, [f"deactivate {LFM} interface ge-0/0/1"])
        flat = conn.send_command("run show configuration protocols oam | display set")
        lfm = conn.send_command("run show oam ethernet link-fault-management")
        # inside the inactive statement: a new leaf joins it, a leaf goes, it stays inactive
        _commit(conn, [f"set {LFM} interface ge-0/0/1 pdu-threshold 5",
                       f"delete {LFM} interface ge-0/0/1 pdu-interval"])
        edited = conn.send_command("run show configuration protocols oam | display set")
        missing = conn.send_config_set(["top", f"deactivate {LFM} action-profile NO-SUCH"],
                                       exit_config_mode=False)
        _commit(conn, [f"activate {LFM} interface ge-0/0/1"])
        active = conn.send_command("run show configuration protocols oam | display set")
        lfm_after = conn.send_command("run show oam ethernet link-fault-management")
        conn.exit_config_mode()
    deactivate = f"deactivate {LFM} interface ge-0/0/1"
    lines = [line.strip() for line in flat.splitlines() if line.strip()]
    assert deactivate in lines and lines.index(deactivate) > max(
        i for i, line in enumerate(lines) if line.startswith("set ")), flat
    assert f"set {LFM} interface ge-0/0/1 pdu-interval 1000" in lines
    assert "ge-0/0/0" in lfm and "ge-0/0/1" not in lfm, lfm
    assert edited.split("\n")[1:] == [f"set {LFM} interface ge-0/0/1 pdu-threshold 5", deactivate, ""], edited
    assert "warning: statement not found" in missing
    assert "deactivate" not in active and "ge-0/0/1" in lfm_after
    assert "inactive" not in dev.running.to_text()
