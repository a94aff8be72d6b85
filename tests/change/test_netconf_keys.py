"""List keys whose values hold the path's own separators (`,` `=` `]`), over NETCONF: XR allows
`,` and `=` in a link-oam profile name (Cisco-ios-xr-string), so they reach oamkit both from
another operator's configuration and from its own policy names."""
from __future__ import annotations

import json

import yaml

from .test_change_engine import env, oamkit, pushed, running_text  # noqa: F401 - fixtures
from .test_netconf_change import limit, nc_inventory, other_operator  # noqa: F401 - fixtures

XR_PROFILE = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <ethernet-features xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg">
    <ether-link-oam xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ethernet-link-oam-cfg">
      <profiles><profile><profile>{name}</profile><timeout>9</timeout></profile></profiles>
    </ether-link-oam>
  </ethernet-features>
</config>"""


_other_operator = other_operator


def test_someone_elses_xr_profile_with_a_comma_is_left_alone(lab, nc_inventory, env):
    with _other_operator(lab, "xr-1") as other:
        for name in ("OPS,METRO", "OPS=1,X=2"):
            other.edit_config(target="candidate", config=XR_PROFILE.format(name=name))
        other.commit()
    assert "ethernet oam profile OPS,METRO" in running_text(lab.device("xr-1"))
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit("xr-1"), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    commands = json.loads(result.stdout)["hosts"][0]["commands"]
    assert commands and not [c for c in commands if "OPS" in c], commands
    code, hosts = pushed(env, nc_inventory, *limit("xr-1"))
    assert code == 0 and hosts["xr-1"]["outcome"] == "changed", hosts
    code, hosts = pushed(env, nc_inventory, *limit("xr-1"))
    assert code == 0 and hosts["xr-1"]["outcome"] == "unchanged", hosts
    running = running_text(lab.device("xr-1"))
    assert "ethernet oam profile OPS,METRO" in running and "ethernet oam profile OPS=1,X=2" in running


def test_a_policy_name_with_a_comma_round_trips_on_xr_and_stops_on_junos(lab, nc_inventory, env):
    policies = nc_inventory / "policies" / "standard.yaml"
    policies.write_text(policies.read_text() + "\ncore,edge:\n  extends: lab-xr\n"
                        "metro,edge:\n  extends: lab-junos\n")
    hosts = yaml.safe_load((nc_inventory / "hosts.yaml").read_text())
    hosts["xr-1"]["data"]["oam"]["policy"] = "core,edge"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    result = oamkit(env, "diff", "-i", str(nc_inventory), *limit("xr-1"), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert any("profile[profile=OAMKIT-CORE\\,EDGE]" in c
               for c in json.loads(result.stdout)["hosts"][0]["commands"]), result.stdout
    code, result = pushed(env, nc_inventory, *limit("xr-1"))
    assert code == 0 and result["xr-1"]["outcome"] == "changed", result
    assert "profile OAMKIT-CORE,EDGE" in running_text(lab.device("xr-1"))
    code, result = pushed(env, nc_inventory, *limit("xr-1"))
    assert code == 0 and result["xr-1"]["outcome"] == "unchanged", result
    # Junos refuses the comma in an action-profile name: stopped before the device, naming it.
    hosts["junos-1"]["data"]["oam"]["policy"] = "metro,edge"
    (nc_inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    refused = oamkit(env, "diff", "-i", str(nc_inventory), *limit("junos-1"))
    assert refused.returncode == 2 and "policy name metro,edge" in refused.stderr, refused.stderr


def test_a_foreign_key_holding_a_bracket_is_not_one_of_ours():
    """Key parsing is exact: Junos' `interface ge-0/0/0]]>]]>&<` (someone else's) is no leaf of
    the managed ge-0/0/0, in the compared leaves as in the subtrees a rollback restores."""
    from lxml import etree

    from oamkit import xmlcompare
    from oamkit.platforms import get_platform

    model = get_platform("juniper_junos").netconf
    lfm = ("<data><configuration><protocols><oam><ethernet><link-fault-management>{}"
           "</link-fault-management></ethernet></oam></protocols></configuration></data>")
    ours = "<interface><name>ge-0/0/0</name><pdu-interval>1000</pdu-interval></interface>"
    theirs = "<interface><name>ge-0/0/0]]&gt;]]&gt;&amp;&lt;</name><pdu-interval>900</pdu-interval></interface>"
    backup = etree.fromstring(lfm.format(ours))
    running = etree.fromstring(lfm.format(ours + theirs))
    leaves = xmlcompare.owned(xmlcompare.flatten(running, model), model, {"ge-0/0/0"})
    assert leaves == xmlcompare.owned(xmlcompare.flatten(backup, model), model, {"ge-0/0/0"})
    assert [p for p in leaves if "900" in leaves[p] or "]]>" in p] == []
    assert xmlcompare.restore_edits(backup, running, model, {"ge-0/0/0"}) == []
