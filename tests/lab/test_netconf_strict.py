"""The lab's NETCONF refuses what the device refuses, as its own CLI does, and keeps what Junos
keeps (`inactive` statements): an independent client (ncclient) against the lab."""
from __future__ import annotations

import pytest
from ncclient.operations.rpc import RPCError
from ncclient.xml_ import to_ele

from oamkit.lab.vendors.juniper_junos.show import junos_set_lines
from tests.change.test_netconf_change import other_operator

pytestmark = [pytest.mark.lab, pytest.mark.timeout(60)]

LFM = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><configuration><protocols><oam>'
       '<ethernet><link-fault-management>{}</link-fault-management></ethernet></oam></protocols>'
       '</configuration></config>')
XR_PROFILE = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <ethernet-features xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg">
    <ether-link-oam xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ethernet-link-oam-cfg">
      <profiles><profile><profile>OPS</profile>{}</profile></profiles>
    </ether-link-oam>
  </ethernet-features>
</config>"""


_connect = other_operator


@pytest.mark.parametrize("name", ["ge-0/0/9", "foo bar", "ge-0/0/0]]&gt;]]&gt;&amp;&lt;"])
def test_junos_refuses_an_interface_it_does_not_have(lab, name):
    """The device's CLI says `error: invalid interface name: ge-0/0/9` to `set ... interface
    ge-0/0/9`; edit-config of the same statement is refused the same way, nothing kept."""
    before = lab.device("junos-1").running.to_text()
    with _connect(lab, "junos-1") as nc:
        with pytest.raises(RPCError, match="invalid interface name"):
            nc.edit_config(target="candidate", config=LFM.format(
                f"<interface><name>{name}</name><pdu-interval>900</pdu-interval></interface>"))
        nc.validate("candidate")
        nc.commit()
        # an interface the device has is taken as before
        nc.edit_config(target="candidate", config=LFM.format(
            "<interface><name>ge-0/0/2</name><pdu-interval>900</pdu-interval></interface>"))
        nc.discard_changes()
    assert lab.device("junos-1").running.to_text() == before


@pytest.mark.parametrize("name,config", [
    ("junos-1", LFM.format("<interface><name>ge-0/0/2</name><pdu-interval>900</pdu-interval>"
                           "<pdu-threshold>5</pdu-threshold><pdu-threshold>6</pdu-threshold></interface>")),
    ("junos-1", LFM.format("<interface><name>ge-0/0/2</name><pdu-interval>900</pdu-interval></interface>"
                           "<interface><name>ge-0/0/2</name><pdu-interval>800</pdu-interval></interface>")),
    ("xr-1", XR_PROFILE.format("<timeout>5</timeout><timeout>6</timeout>")),
])
def test_a_duplicated_leaf_or_entry_is_refused(lab, name, config):
    before = lab.device(name).running.to_text()
    with _connect(lab, name) as nc:
        with pytest.raises(RPCError, match="Duplicate instance"):
            nc.edit_config(target="candidate", config=config)
        nc.commit()
    assert lab.device(name).running.to_text() == before


def test_junos_keeps_an_inactive_statement(lab):
    with _connect(lab, "junos-1") as nc:
        nc.edit_config(target="candidate", config=LFM.format(
            '<interface inactive="inactive"><name>ge-0/0/1</name><pdu-interval>900</pdu-interval>'
            '</interface>'))
        nc.commit()
        data = to_ele(nc.get_config("running").data_xml)
        itf = data.find(".//{*}link-fault-management/{*}interface")
        assert itf is not None and itf.get("inactive") == "inactive", nc.get_config("running").data_xml
        running = lab.device("junos-1").running
        assert "deactivate protocols oam ethernet link-fault-management interface ge-0/0/1" in \
            junos_set_lines(running).splitlines()
        assert "set protocols oam ethernet link-fault-management interface ge-0/0/1 pdu-interval 900" in \
            junos_set_lines(running).splitlines()
        # a merge without the attribute changes the statement and keeps it inactive
        nc.edit_config(target="candidate", config=LFM.format(
            "<interface><name>ge-0/0/1</name><pdu-interval>800</pdu-interval></interface>"))
        nc.commit()
        itf = to_ele(nc.get_config("running").data_xml).find(".//{*}link-fault-management/{*}interface")
        assert itf.get("inactive") == "inactive" and itf.findtext("{*}pdu-interval") == "800"
        # active="active" activates it again
        nc.edit_config(target="candidate", config=LFM.format(
            '<interface active="active"><name>ge-0/0/1</name></interface>'))
        nc.commit()
        itf = to_ele(nc.get_config("running").data_xml).find(".//{*}link-fault-management/{*}interface")
        assert itf.get("inactive") is None and itf.findtext("{*}pdu-interval") == "800"
