"""A Junos statement another operator deactivated (`inactive="inactive"`) is not the intent:
oamkit over NETCONF sees it, activates it with its push, and a rollback deactivates it again."""
from __future__ import annotations

import json

from ncclient import manager

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401 - fixtures
from .test_netconf_change import limit, nc_inventory  # noqa: F401 - fixtures

DEACTIVATE = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><configuration><protocols>'
              '<oam><ethernet><link-fault-management><interface inactive="inactive">'
              '<name>ge-0/0/0</name></interface></link-fault-management></ethernet></oam>'
              '</protocols></configuration></config>')


def test_a_deactivated_managed_stanza_is_not_the_intent(lab, nc_inventory, env):
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    with manager.connect(host="127.0.0.1", port=lab.ports["junos-1"], username="admin",
                         password=lab.password, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, timeout=10) as other:
        other.edit_config(target="candidate", config=DEACTIVATE)
        other.commit()
    deactivated = running_text(lab.device("junos-1"))
    assert "inactive: interface ge-0/0/0" in deactivated
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit("junos-1"), "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert host["outcome"] == "changed", result.stdout + result.stderr
    assert host["commands"] == [
        "- configuration/protocols/oam/ethernet/link-fault-management/interface[name=ge-0/0/0]/@inactive"]
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    assert "inactive:" not in running_text(lab.device("junos-1"))
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0 and hosts["junos-1"]["outcome"] == "unchanged", hosts
    changes = json.loads(oamkit(env, "changes", "--json").stdout)
    result = oamkit(env, "rollback", "--change", changes[-2]["id"], "-i", str(nc_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert running_text(lab.device("junos-1")) == deactivated


DEACTIVATE_OAM = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><configuration><protocols>'
                  '<oam inactive="inactive"/></protocols></configuration></config>')


def test_a_deactivated_element_above_oamkits_part_is_said_and_never_activated(lab, nc_inventory, env):
    # as over the CLI (test_junos_inactive_cli): <oam inactive="inactive"> silences LFM and
    # other teams' OAM; the push neither reports `unchanged` nor activates it
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    with manager.connect(host="127.0.0.1", port=lab.ports["junos-1"], username="admin",
                         password=lab.password, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, timeout=10) as other:
        other.edit_config(target="candidate", config=DEACTIVATE_OAM)
        other.commit()
    deactivated = running_text(lab.device("junos-1"))
    assert "inactive: oam" in deactivated
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit("junos-1"), "--json")
    host = json.loads(result.stdout)["hosts"][0]
    assert result.returncode == 1 and host["outcome"] == "error", result.stdout + result.stderr
    assert host["error"].startswith("junos-1: configuration/protocols/oam is deactivated on the device, "
                                    "above the OAM configuration oamkit manages"), host["error"]
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 1 and hosts["junos-1"]["outcome"] == "error" and hosts["junos-1"]["backup"] is None, hosts
    assert running_text(lab.device("junos-1")) == deactivated
