"""A Junos statement another operator deactivated (`inactive="inactive"`) is not the intent:
oamkit over NETCONF sees it, activates it with its push, and a rollback deactivates it again."""
from __future__ import annotations

import json

from ncclient import manager
from netmiko import ConnectHandler

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401 - fixtures
from .test_netconf_change import limit, nc_inventory  # noqa: F401 - fixtures

DEACTIVATE = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><configuration><protocols>'
              '<oam><ethernet><link-fault-management><interface inactive="inactive">'
              '<name>ge-0/0/0</name></interface></link-fault-management></ethernet></oam>'
              '</protocols></configuration></config>')


def _other_session(lab, config: str) -> None:
    with manager.connect(host="127.0.0.1", port=lab.ports["junos-1"], username="admin",
                         password=lab.password, hostkey_verify=False, allow_agent=False,
                         look_for_keys=False, timeout=10) as other:
        other.edit_config(target="candidate", config=config)
        other.commit()


def test_a_deactivated_managed_stanza_is_not_the_intent(lab, nc_inventory, env):
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    _other_session(lab, DEACTIVATE)
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
    _other_session(lab, DEACTIVATE_OAM)
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


def test_a_first_push_under_another_teams_deactivated_oam_is_undone_and_said(lab, nc_inventory, env):
    # Another team's CFM lives under `protocols oam`, deactivated, and there is no LFM yet: the
    # filtered <get-config> returns nothing of it (subtree filtering), so only the read-back after
    # the commit shows <oam inactive="inactive"> above what oamkit just added. It reported
    # `changed` for a change with no effect; now it is undone and said.
    with ConnectHandler(**lab.netmiko_params("junos-1", lab.known_hosts)) as conn:
        conn.send_config_set(["top", "delete protocols oam ethernet link-fault-management",
                              "set protocols oam ethernet connectivity-fault-management "
                              "maintenance-domain MD-CORE level 5", "deactivate protocols oam"],
                             exit_config_mode=False)
        conn.commit()
        conn.exit_config_mode()
    before = running_text(lab.device("junos-1"))
    assert "inactive: oam" in before and "link-fault-management" not in before, before
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    host = hosts["junos-1"]
    assert code == 1 and host["outcome"] == "failed-rolled-back", hosts
    assert host["error"].startswith("the read-back shows configuration/protocols/oam deactivated above "
                                    "the OAM configuration oamkit manages"), host["error"]
    assert running_text(lab.device("junos-1")) == before


def test_a_rollback_leaves_the_deactivated_element_above_oamkits_part_as_its_owner_set_it(lab, nc_inventory, env):
    # as over the CLI: the backup of a run made while <oam> was inactive holds the mark; its
    # rollback restores oamkit's part, never the mark, once the owner has activated <oam>
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))
    assert code == 0, hosts
    running = running_text(lab.device("junos-1"))
    other = "900" if "pdu-interval 900" not in running else "800"
    _other_session(lab, DEACTIVATE.replace('<interface inactive="inactive"><name>ge-0/0/0</name>',
                                           f'<interface><name>ge-0/0/0</name><pdu-interval>{other}</pdu-interval>'))
    assert f"pdu-interval {other}" in running_text(lab.device("junos-1"))
    code, hosts = pushed(env, nc_inventory, *limit("junos-1"))     # its backup holds `other`
    assert code == 0 and hosts["junos-1"]["outcome"] == "changed", hosts
    push_id = json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]
    _other_session(lab, DEACTIVATE_OAM)
    result = oamkit(env, "rollback", "--change", push_id, "-i", str(nc_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inactive: oam" in running_text(lab.device("junos-1"))   # restored, left inactive
    rollback_id = json.loads(oamkit(env, "changes", "--json").stdout)[-1]["id"]
    _other_session(lab, DEACTIVATE_OAM.replace('inactive="inactive"', 'active="active"'))
    assert "inactive:" not in running_text(lab.device("junos-1"))
    result = oamkit(env, "rollback", "--change", rollback_id, "-i", str(nc_inventory), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "inactive:" not in running_text(lab.device("junos-1"))
