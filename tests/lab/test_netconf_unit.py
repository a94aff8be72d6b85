"""Pure-function tests of the lab's NETCONF pieces: framing, subtree filter, edit-config
operations, CLI<->XML translators and YANG validation (no sockets)."""
from __future__ import annotations

import libyang
import pytest
from lxml import etree

from oamkit.lab.device import ConfigTree, baseline_config
from oamkit.lab.netconf_xlate import translator_for
from oamkit.lab.netconf_xml import (NC, EditEngine, FrameReader, FramingError, RpcError, frame,
                                    parse_xml, subtree_filter)
from oamkit.lab.netconf_yang import (NS_JUNOS, NS_XR_ELO, NS_XR_ETH_INFRA, ensure_cisco_xr,
                                     explain, get_model)

XR = ensure_cisco_xr()      # downloads the Cisco modules once if they are missing
needs_xr_yang = pytest.mark.skipif(not XR.available, reason=f"Cisco XR YANG: {XR.unavailable_reason}")
needs_libyang = pytest.mark.skipif(not get_model("junos").available,
                                   reason=f"libyang: {get_model('junos').unavailable_reason}")

XR_PROFILE_CLI = """\
hostname xr-1
ethernet oam profile OAMKIT-LAB-STANDARD
 mode passive
 hello-interval 1s
 connection timeout 5
 link-monitor
  symbol-period window symbols 125000000
  symbol-period threshold symbols low 1 high 10
  frame window 1000
  frame threshold low 1 high 10
  frame-period window frames 1000000
  frame-period threshold frames low 1 high 10
  frame-seconds window 60000
  frame-seconds threshold low 1 high 5
 action high-threshold error-disable-interface
 action dying-gasp error-disable-interface
interface GigabitEthernet0/0/0/0
 description lab link
 ethernet oam
  profile OAMKIT-LAB-STANDARD
interface GigabitEthernet0/0/0/1
 description lab link
"""


# --------------------------------------------------------------------------- framing
def test_eom_framing_splits_messages_across_reads():
    reader = FrameReader()
    assert reader.feed(b"<hello/>]]>") == []
    assert reader.feed(b"]]><rpc/>]]>]]><x") == [b"<hello/>", b"<rpc/>"]
    assert reader.buf == bytearray(b"<x")


def test_chunked_framing_counts_octets_and_joins_chunks():
    reader = FrameReader()
    reader.chunked = True
    text = "<rpc>é</rpc>"                           # é is two octets
    wire = frame(text, chunked=True).encode()
    assert wire.startswith(f"\n#{len(text) + 1}\n".encode())
    two_chunks = b"\n#5\n<rpc>\n#6\n</rpc>\n##\n"
    got = []
    for i in range(len(wire + two_chunks)):      # byte by byte: no assumption on read sizes
        got += reader.feed((wire + two_chunks)[i:i + 1])
    assert got == [text.encode(), b"<rpc></rpc>"]


def test_chunked_framing_rejects_garbage_header():
    reader = FrameReader()
    reader.chunked = True
    with pytest.raises(FramingError):
        reader.feed(b"\n#abc\nxxxxxxxxxxxxxxxx")


def test_rpc_error_element_has_all_fields():
    err = RpcError("lock-denied", "locked", type="protocol", path="/a:b", path_ns={"a": "urn:a"},
                   info={"session-id": "7"})
    xml = etree.tounicode(err.to_element())
    el = parse_xml(xml)
    ns = {"nc": NC}
    assert el.findtext("nc:error-type", namespaces=ns) == "protocol"
    assert el.findtext("nc:error-tag", namespaces=ns) == "lock-denied"
    assert el.findtext("nc:error-severity", namespaces=ns) == "error"
    assert el.findtext("nc:error-path", namespaces=ns) == "/a:b"
    assert el.find("nc:error-path", namespaces=ns).nsmap["a"] == "urn:a"
    assert el.findtext("nc:error-info/nc:session-id", namespaces=ns) == "7"


# --------------------------------------------------------------------------- subtree filter
DATA = f"""<data xmlns="{NC}"><top xmlns="urn:t">
  <item><name>a</name><v>1</v><w>2</w></item>
  <item><name>b</name><v>3</v><w>4</w></item>
  <other>x</other></top><second xmlns="urn:s"><z/></second></data>"""


def _names(el):
    return [etree.QName(e).localname for e in el.iter() if isinstance(e.tag, str)]


def test_subtree_filter_content_match_selects_one_list_entry():
    out = subtree_filter(parse_xml(DATA), parse_xml(
        '<filter><top xmlns="urn:t"><item><name>b</name></item></top></filter>'))
    items = out.findall("{urn:t}top/{urn:t}item")
    assert [i.findtext("{urn:t}name") for i in items] == ["b"]
    assert items[0].findtext("{urn:t}w") == "4"           # only content match -> whole entry
    assert out.find("{urn:s}second") is None


def test_subtree_filter_selection_nodes_and_namespace_wildcard():
    out = subtree_filter(parse_xml(DATA), parse_xml(
        '<filter><top><item><name>a</name><v/></item></top></filter>'))
    item = out.find("{urn:t}top/{urn:t}item")
    assert item.findtext("{urn:t}v") == "1" and item.find("{urn:t}w") is None
    assert subtree_filter(parse_xml(DATA), parse_xml("<filter/>")).find("{urn:t}top") is None
    miss = subtree_filter(parse_xml(DATA), parse_xml(
        '<filter><top xmlns="urn:t"><item><name>zz</name></item></top></filter>'))
    assert len(miss) == 0


# --------------------------------------------------------------------------- edit-config
class _Schema:
    KINDS = {("top",): ("container", []), ("top", "item"): ("list", ["name"]),
             ("top", "item", "name"): ("leaf", []), ("top", "item", "v"): ("leaf", []),
             ("top", "item", "w"): ("leaf", []), ("top", "other"): ("leaf", [])}

    def __call__(self, path):
        hit = self.KINDS.get(tuple(n for _, n in path))
        return None if hit is None else type("N", (), {"kind": hit[0], "keys": hit[1]})


def _ds():
    ds = etree.Element("ds")
    ds.extend(parse_xml(DATA).findall("{urn:t}top"))
    return ds


def _edit(ds, body, default="merge"):
    EditEngine(_Schema()).apply(ds, parse_xml(f'<config xmlns:nc="{NC}">{body}</config>'), default)
    return ds


def test_edit_merge_changes_leaf_and_adds_entry():
    ds = _edit(_ds(), '<top xmlns="urn:t"><item><name>a</name><v>9</v></item>'
                      '<item><name>c</name><v>5</v></item></top>')
    vals = {i.findtext("{urn:t}name"): i.findtext("{urn:t}v") for i in ds.iter("{urn:t}item")}
    assert vals == {"a": "9", "b": "3", "c": "5"}


def test_edit_delete_remove_replace_create():
    ds = _edit(_ds(), '<top xmlns="urn:t"><item nc:operation="delete"><name>a</name></item>'
                      '<item nc:operation="replace"><name>b</name><v>7</v></item>'
                      '<other nc:operation="remove"/></top>')
    items = list(ds.iter("{urn:t}item"))
    assert [i.findtext("{urn:t}name") for i in items] == ["b"]
    assert items[0].find("{urn:t}w") is None and items[0].findtext("{urn:t}v") == "7"
    assert ds.find(".//{urn:t}other") is None
    with pytest.raises(RpcError) as missing:
        _edit(ds, '<top xmlns="urn:t"><item nc:operation="delete"><name>a</name></item></top>')
    assert missing.value.tag == "data-missing"
    with pytest.raises(RpcError) as exists:
        _edit(ds, '<top xmlns="urn:t"><item nc:operation="create"><name>b</name></item></top>')
    assert exists.value.tag == "data-exists"
    _edit(ds, '<top xmlns="urn:t"><other nc:operation="remove"/></top>')   # remove is idempotent


def test_edit_unknown_element_and_default_operation_none():
    with pytest.raises(RpcError) as unknown:
        _edit(_ds(), '<top xmlns="urn:t"><item><name>a</name><bogus>1</bogus></item></top>')
    assert unknown.value.tag == "unknown-element" and unknown.value.info["bad-element"] == "bogus"
    ds = _edit(_ds(), '<top xmlns="urn:t"><item><name>zz</name><v>1</v></item></top>', "none")
    assert [i.findtext("{urn:t}name") for i in ds.iter("{urn:t}item")] == ["a", "b"]


# --------------------------------------------------------------------------- translators
def test_xr_translator_round_trip_keeps_cli_and_unknown_lines():
    tree = ConfigTree.from_text(XR_PROFILE_CLI)
    tree.get(["ethernet oam profile OAMKIT-LAB-STANDARD"]).children.append(ConfigTree("odd-line 1"))
    tr = translator_for("cisco_xr")
    view = tr.view(tree)
    assert tr.apply(tree, view) == tree
    profile = view[1].find(f"{{{NS_XR_ELO}}}ether-link-oam/{{{NS_XR_ELO}}}profiles/{{{NS_XR_ELO}}}profile")
    assert profile.findtext(f"{{{NS_XR_ELO}}}link-monitoring/{{{NS_XR_ELO}}}frame/{{{NS_XR_ELO}}}window") == "1000"
    assert profile.findtext(f"{{{NS_XR_ELO}}}action/{{{NS_XR_ELO}}}dying-gasp") == "error-disable"
    cleared = tr.apply(tree, [])
    assert cleared.get(["ethernet oam profile OAMKIT-LAB-STANDARD"]) is None
    assert cleared.get(["interface GigabitEthernet0/0/0/0", "ethernet oam"]) is None
    assert cleared.get(["interface GigabitEthernet0/0/0/0", "description lab link"]) is not None


def test_xr_translator_builds_cli_from_xml_in_rendered_order():
    base = baseline_config("cisco_xr", "xr-1", ["GigabitEthernet0/0/0/0"])
    built = translator_for("cisco_xr").apply(base, translator_for("cisco_xr").view(
        ConfigTree.from_text(XR_PROFILE_CLI)))
    text = built.to_text()
    assert "ethernet oam profile OAMKIT-LAB-STANDARD\n mode passive\n hello-interval 1s\n" in text
    assert "  frame-period threshold frames low 1 high 10\n" in text
    assert text.index("ethernet oam profile") < text.index("interface GigabitEthernet0/0/0/0")
    assert built.get(["interface GigabitEthernet0/0/0/0", "ethernet oam",
                      "profile OAMKIT-LAB-STANDARD"]) is not None
    assert built.get(["interface GigabitEthernet0/0/0/1"]) is None     # no OAM, not in the view


def test_junos_translator_is_mechanical_and_accepts_unqualified_xml():
    tr = translator_for("junos")
    base = baseline_config("juniper_junos", "mx-1", ["ge-0/0/0"])
    cfg = parse_xml("<config><configuration><protocols><oam><ethernet><link-fault-management>"
                    "<interface><name>ge-0/0/0</name><pdu-interval>800</pdu-interval>"
                    "<event-thresholds><frame-error>10</frame-error></event-thresholds>"
                    "</interface></link-fault-management></ethernet></oam></protocols>"
                    "</configuration></config>")
    tr.normalize(cfg)
    assert cfg[0].tag == f"{{{NS_JUNOS}}}configuration"
    tree = tr.apply(base, list(cfg))
    lfm = ["protocols", "oam", "ethernet", "link-fault-management", "interface ge-0/0/0"]
    assert tree.get([*lfm, "pdu-interval 800"]) is not None
    assert tree.get([*lfm, "event-thresholds", "frame-error 10"]) is not None
    assert tr.apply(tree, tr.view(tree)) == tree
    assert tr.apply(tree, []) == base                # empty parents are pruned again


@needs_libyang
def test_ieee_translator_normalises_identity_prefix_and_validates():
    tr = translator_for("ieee")
    xml = ('<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" '
           'xmlns:ift="urn:ietf:params:xml:ns:yang:iana-if-type"><interface><name>eth0</name>'
           '<type>ift:ethernetCsmacd</type><link-oam xmlns="urn:oamkit:yang:ieee-link-oam-shape">'
           '<admin>enabled</admin><discovery-info><local><functions-supported><link-monitor>'
           '<event-type><threshold-type>frame-event</threshold-type><window>10</window>'
           '<threshold>1</threshold></event-type></link-monitor></functions-supported></local>'
           '</discovery-info></link-oam></interface></interfaces>')
    tree = tr.apply(ConfigTree(), [parse_xml(xml)])
    assert tree.get(["ieee802-link-oam", "interface eth0", "type ianaift:ethernetCsmacd"])
    model = get_model("ieee")
    model.validate("".join(etree.tounicode(e) for e in tr.view(tree)))
    with pytest.raises(libyang.LibyangError) as bad:
        model.validate(xml.replace("<threshold>1<", "<threshold>0<"))
    problem = explain(bad.value)
    assert problem.tag == "invalid-value" and problem.path.endswith("/threshold")


@needs_libyang
def test_junos_schema_ranges_and_leafref():
    model = get_model("junos")
    head = (f'<configuration xmlns="{NS_JUNOS}"><protocols><oam><ethernet><link-fault-management>')
    tail = "</link-fault-management></ethernet></oam></protocols></configuration>"
    model.validate(head + "<interface><name>ge-0/0/0</name><pdu-threshold>5</pdu-threshold>"
                   "<event-thresholds><symbol-period>100</symbol-period></event-thresholds>"
                   "</interface>" + tail)
    for bad in ("<pdu-interval>50</pdu-interval>", "<pdu-threshold>11</pdu-threshold>",
                "<event-thresholds><frame-error>101</frame-error></event-thresholds>",
                "<event-thresholds><window>10</window></event-thresholds>",
                "<apply-action-profile>NOPE</apply-action-profile>"):
        with pytest.raises(libyang.LibyangError):
            model.validate(head + f"<interface><name>ge-0/0/0</name>{bad}</interface>" + tail)


@needs_xr_yang
def test_xr_payload_checked_by_cisco_module():
    tree = ConfigTree.from_text(XR_PROFILE_CLI)
    xml = "".join(etree.tounicode(e) for e in translator_for("cisco_xr").view(tree))
    XR.validate(xml)
    with pytest.raises(libyang.LibyangError) as bad:
        XR.validate(xml.replace("<window>60000</window>", "<window>5000</window>"))
    problem = explain(bad.value)
    assert problem.tag == "invalid-value"
    assert "frame-seconds/window" in problem.path and "range" in problem.message
    assert f"{NS_XR_ETH_INFRA}?module=" not in " ".join(XR.capabilities)
    assert any("Cisco-IOS-XR-ethernet-link-oam-cfg&revision=2015-11-09" in c for c in XR.capabilities)


def test_xr_semantics_follow_the_lab_cli_grammar():
    from oamkit.lab.device import Device
    from oamkit.lab.netconf_xlate import xr_semantic_problem

    dev = Device("xr-unit", "cisco_xr")

    def problem(body: str):
        tree = dev.running.copy()
        tree.children += ConfigTree.from_text("ethernet oam profile P\n " + body).children
        return xr_semantic_problem(dev, tree)

    assert problem("mode passive\n link-monitor\n  frame-seconds window 60000") is None
    assert problem("mib-retrieval") is None                  # not modelled by the CLI: not judged
    assert "steps of 1000" in problem("link-monitor\n  frame-seconds window 15500")
    assert "only passive" in problem("mode active")
    assert "together with the low" in problem("link-monitor\n  frame threshold high 5")
    assert "lower than the low" in problem("link-monitor\n  frame threshold low 9 high 5")


def test_ieee_translator_takes_the_standard_namespace_as_alias():
    cfg = parse_xml('<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">'
                    '<interface><name>e0</name><link-oam xmlns="urn:ieee:std:802.3:yang:'
                    'ieee802-ethernet-link-oam"><admin>enabled</admin></link-oam></interface>'
                    '</interfaces></config>')
    translator_for("ieee").normalize(cfg)
    assert cfg.find(".//{urn:oamkit:yang:ieee-link-oam-shape}admin").text == "enabled"


def test_lock_conflict_text_for_the_cli_side():
    from oamkit.lab.device import Device
    from oamkit.lab.netconf import lock_conflict

    dev = Device("mx-unit", "juniper_junos")
    assert lock_conflict(dev, 1) is None
    dev.active_sessions[42] = "netconf"
    dev.locks["candidate"] = 42
    assert "configuration database locked" in lock_conflict(dev, 1)
    assert lock_conflict(dev, 42) is None
    dev.active_sessions[7] = "cli"
    dev.locks["candidate"] = 7                      # a Junos CLI session in `configure exclusive`
    assert "exclusive" in lock_conflict(dev, 1)
    assert lock_conflict(dev, 7) is None
    del dev.active_sessions[7]                      # ended: its lock no longer counts
    assert lock_conflict(dev, 1) is None


def test_xr_unknown_link_monitor_lines_stay_in_their_block_after_an_edit():
    tree = ConfigTree.from_text(XR_PROFILE_CLI)
    name = "ethernet oam profile OAMKIT-LAB-STANDARD"
    tree.get([name, "link-monitor"]).children.append(ConfigTree("future-knob 3"))
    tr = translator_for("cisco_xr")
    view = tr.view(tree)
    window = view[1].find(f".//{{{NS_XR_ELO}}}frame/{{{NS_XR_ELO}}}window")
    window.text = "2000"
    new = tr.apply(tree, view)
    profile = new.get([name])
    assert [c.line for c in profile.children].count("link-monitor") == 1
    lm = profile.child("link-monitor")
    assert lm.child("frame window 2000") is not None and lm.child("future-knob 3") is not None


@needs_libyang
def test_junos_set_lines_follow_the_schema():
    from oamkit.lab.netconf_junos import set_lines_to_configs

    lfm = "protocols oam ethernet link-fault-management"
    configs = set_lines_to_configs(f"set {lfm} interface ge-0/0/0 remote-loopback\n"
                                   f"set {lfm} interface ge-0/0/0 pdu-interval 500\n"
                                   f"delete {lfm} action-profile AP\n", get_model("junos"))
    assert len(configs) == 3
    j = f"{{{NS_JUNOS}}}"
    flag = configs[0].find(f".//{j}interface/{j}remote-loopback")
    assert flag is not None and flag.text is None
    assert configs[1].find(f".//{j}interface/{j}pdu-interval").text == "500"
    gone = configs[2].find(f".//{j}action-profile")
    assert gone.get(f"{{{NC}}}operation") == "remove" and gone.findtext(f"{j}name") == "AP"
    with pytest.raises(RpcError):
        set_lines_to_configs(f"set {lfm} interface ge-0/0/0 bogus 1", get_model("junos"))
