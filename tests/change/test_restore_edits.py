"""The NETCONF restore payload touches only what oamkit owns: our interfaces' OAM subtrees and
OAMKIT-* profiles, never another interface, another team's profile or a non-OAM leaf."""
from __future__ import annotations

from lxml import etree

from oamkit import xmlcompare
from oamkit.platforms import get_platform

XR = get_platform("cisco_xr").netconf
IFMGR = "http://cisco.com/ns/yang/Cisco-IOS-XR-ifmgr-cfg"
INFRA = "http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg"
ELO = "http://cisco.com/ns/yang/Cisco-IOS-XR-ethernet-link-oam-cfg"


def _interface(name: str, oam_profile: str | None) -> str:
    oam = (f'<ether-link-oam-enable xmlns="{ELO}"/><ether-link-oam xmlns="{ELO}">'
           f"<profile-name>{oam_profile}</profile-name></ether-link-oam>") if oam_profile else ""
    return (f"<interface-configuration><active>act</active><interface-name>{name}</interface-name>"
            f"<description>uplink {name}</description>"
            f'<ethernet-features xmlns="{INFRA}">{oam}</ethernet-features></interface-configuration>')


def _data(profiles: dict[str, str], interfaces: dict[str, str | None]) -> etree._Element:
    body = "".join(f"<profile><profile>{n}</profile><hello-interval>{h}</hello-interval></profile>"
                   for n, h in profiles.items())
    return etree.fromstring(
        f'<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        f'<ethernet-features xmlns="{INFRA}"><ether-link-oam xmlns="{ELO}"><profiles>{body}</profiles>'
        f"</ether-link-oam></ethernet-features>"
        f'<interface-configurations xmlns="{IFMGR}">'
        + "".join(_interface(n, p) for n, p in interfaces.items()) + "</interface-configurations></data>")


def test_restore_removes_and_replaces_only_what_oamkit_owns():
    ours = {"Gi0/0/0/0", "Gi0/0/0/1"}
    backup = _data({"NOC": "1s", "OAMKIT-A": "1s"},
                   {"Gi0/0/0/0": None, "Gi0/0/0/1": "OAMKIT-A", "Gi0/0/0/9": None})
    running = _data({"NOC": "100ms", "OAMKIT-A": "100ms", "OAMKIT-B": "1s"},
                    {"Gi0/0/0/0": "OAMKIT-B", "Gi0/0/0/1": "OAMKIT-A", "Gi0/0/0/9": "NOC"})
    edit, = xmlcompare.restore_edits(backup, running, XR, ours)
    config = etree.fromstring(edit.encode())
    operations = {(etree.QName(el).localname, el.get(f"{{{xmlcompare.NC_NS}}}operation"))
                  for el in config.iter() if el.get(f"{{{xmlcompare.NC_NS}}}operation")}
    assert operations == {("profile", "replace"), ("profile", "remove"),
                          ("ether-link-oam-enable", "remove"), ("ether-link-oam", "remove")}
    assert "OAMKIT-A" in edit and "OAMKIT-B" in edit
    for untouched in ("NOC", "Gi0/0/0/9", "Gi0/0/0/1", "description"):
        assert untouched not in edit, untouched
    # Applied, the owned leaves equal the backup's: what the change engine verifies after it.
    want = xmlcompare.owned(xmlcompare.flatten(backup, XR), XR, ours)
    assert xmlcompare.restore_edits(backup, backup, XR, ours) == []
    assert want and all("Gi0/0/0/9" not in path and "NOC" not in path for path in want)


def _operations(edit: str) -> dict[str, str]:
    config = etree.fromstring(edit.encode())
    return {xmlcompare._path_of(el, XR): el.get(f"{{{xmlcompare.NC_NS}}}operation")
            for el in config.iter() if el.get(f"{{{xmlcompare.NC_NS}}}operation")}


def test_restore_removes_the_entries_and_containers_the_push_created():
    """A push that created an interface's entry, an ethernet-features container under an entry
    that existed, and the profiles' top container: the restore removes each of them whole, so
    running equals the backup exactly (no key-only entry or empty container is left)."""
    ours = {"Gi0/0/0/1", "Gi0/0/0/2"}
    backup = etree.fromstring(
        f'<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><interface-configurations xmlns="{IFMGR}">'
        "<interface-configuration><active>act</active><interface-name>Gi0/0/0/1</interface-name>"
        "<description>uplink</description></interface-configuration></interface-configurations></data>")
    running = _data({"OAMKIT-A": "1s"}, {"Gi0/0/0/1": "OAMKIT-A", "Gi0/0/0/2": "OAMKIT-A"})
    running.find(f".//{{{IFMGR}}}interface-configuration/{{{IFMGR}}}description").text = "uplink"
    running.findall(f".//{{{IFMGR}}}description")[1].getparent().remove(
        running.findall(f".//{{{IFMGR}}}description")[1])   # Gi0/0/0/2 was created by the push
    edit, = xmlcompare.restore_edits(backup, running, XR, ours)
    assert _operations(edit) == {
        "ethernet-features": "remove",
        "interface-configurations/interface-configuration[active=act,interface-name=Gi0/0/0/1]"
        "/ethernet-features": "remove",
        "interface-configurations/interface-configuration[active=act,interface-name=Gi0/0/0/2]": "remove"}
    assert "uplink" not in edit


def test_restore_keeps_a_created_entry_that_now_holds_someone_elses_leaf():
    """Between the push and a rollback someone described the interface the push created: the
    rollback removes only oamkit's units there, never their description."""
    ours = {"Gi0/0/0/2"}
    backup = etree.fromstring(f'<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                              f'<interface-configurations xmlns="{IFMGR}"/></data>')
    running = _data({}, {"Gi0/0/0/2": "OAMKIT-A"})
    running.remove(running[0])   # no profiles container: only the interface entry is new
    edit, = xmlcompare.restore_edits(backup, running, XR, ours)
    entry = "interface-configurations/interface-configuration[active=act,interface-name=Gi0/0/0/2]"
    assert _operations(edit) == {f"{entry}/ethernet-features": "remove"}
    assert "uplink" not in edit
