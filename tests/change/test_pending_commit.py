"""A push does not confirm somebody else's pending `commit confirmed` (Junos).

On Junos any commit confirms a pending confirmed commit. An engineer tries a change with
`commit confirmed 5` and logs out; before this fix a push to that device made the engineer's
trial permanent and said `changed`, no note (an outside reviewer of the NETCONF path found it;
the CLI path did the same). Now the push reads `show system commit` (over NETCONF with the
`<command>` RPC) after the delta and before the backup, and refuses the host, saying whose
commit is pending; nothing is sent. Over SSH and NETCONF against the lab, the engineer being
netmiko (an independent client) on the device's CLI."""
from __future__ import annotations

import pytest
import yaml
from netmiko import ConnectHandler

from .test_change_engine import CONFIG_WORDS, env, pushed  # noqa: F401 - fixture
from .test_netconf_change import netconf_rpcs

pytestmark = pytest.mark.lab

TRIAL = "set protocols oam ethernet link-fault-management action-profile ENG-TEST action syslog"


def engineer_commit_confirmed(lab, name: str) -> None:
    with ConnectHandler(**lab.netmiko_params(name, lab.known_hosts)) as conn:
        conn.send_config_set([TRIAL], exit_config_mode=False)
        out = conn.commit(confirm=True, confirm_delay=5)
        assert "commit confirmed will be automatically rolled back in 5 minutes" in out, out
        conn.exit_config_mode()


@pytest.mark.parametrize("transport", ["ssh", "netconf"])
def test_a_push_refuses_a_host_with_someone_elses_pending_confirmed_commit(lab, lab_inventory, env,
                                                                          transport):
    lab.device("junos-1").time_scale = 1   # the engineer's 5 minutes stay pending during the test
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    hosts["junos-1"]["data"]["transport"] = transport
    (lab_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    device = lab.device("junos-1")
    engineer_commit_confirmed(lab, "junos-1")
    assert device.confirm_pending
    trial = device.running.copy()
    sent = len(device.transcript)

    code, hosts = pushed(env, lab_inventory, "--limit", "junos-1")
    result = hosts["junos-1"]
    assert code == 1 and result["outcome"] == "error", result
    message = result["error"]
    assert message.startswith("junos-1: a confirmed commit by admin via cli, rollback in "), message
    assert "committing would confirm it" in message and "Nothing was sent" in message, message
    assert device.confirm_pending, "the engineer's trial is still theirs to confirm or let roll back"
    assert device.running == trial
    received = [e.text.strip() for e in device.transcript[sent:] if e.direction == "in"]
    assert not [c for c in received if CONFIG_WORDS.match(c)], received
    if transport == "netconf":
        rpcs = " ".join(netconf_rpcs(device)[-10:])
        assert "edit-config" not in rpcs and "<commit" not in rpcs and "lock" not in rpcs, rpcs

    # once the engineer has confirmed it, the push goes ahead
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        conn.config_mode()
        conn.commit()
        conn.exit_config_mode()
    assert not device.confirm_pending
    code, hosts = pushed(env, lab_inventory, "--limit", "junos-1")
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts["junos-1"]
