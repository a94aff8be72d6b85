"""ncclient (real client, real SSH, host keys checked against the lab's known_hosts) against the
lab's NETCONF subsystem, plus netmiko on the same devices for the shared configuration.

This module's ``lab`` fixture deliberately overrides the conftest one: it is module-scoped and
holds a pool of devices (``NetconfLab.fresh`` hands each test unused ones), so ~50 ncclient
tests do not each pay for a lab start-up. Budget: about 0.1 s per RPC of stock ncclient (its loop tick).
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from lxml import etree
from ncclient import manager
from ncclient.operations.errors import TimeoutExpiredError
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import SessionCloseError, TransportError
from ncclient.transport.session import NetconfBase

from oamkit.lab.netconf import state_of
from oamkit.lab.netconf_yang import (NS_JUNOS, NS_XR_ELO, NS_XR_ETH_INFRA, NS_XR_IFMGR,
                                     ensure_cisco_xr, get_model)
from oamkit.lab.server import Lab

pytestmark = [pytest.mark.lab, pytest.mark.timeout(60)]

XR = ensure_cisco_xr()      # downloads the Cisco modules once if they are missing
needs_xr_yang = pytest.mark.skipif(not XR.available, reason=f"Cisco XR YANG: {XR.unavailable_reason}")
JUNOS = get_model("junos")
needs_junos_yang = pytest.mark.skipif(not JUNOS.available, reason=f"YANG: {JUNOS.unavailable_reason}")

CAND = "urn:ietf:params:netconf:capability:candidate:1.0"
CONFIRMED11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
VALIDATE11 = "urn:ietf:params:netconf:capability:validate:1.1"

POOL = [(f"xr-{i}", "cisco_xr") for i in range(1, 41)] + \
       [(f"junos-{i}", "juniper_junos") for i in range(1, 11)] + \
       [(f"ios-{i}", "cisco_ios") for i in range(1, 5)]


class NetconfLab:
    """The real lab (``oamkit.lab.server.Lab``) with a pool of devices, each test taking fresh
    ones; ncclient checks host keys against the lab's known_hosts through an ssh_config."""

    def __init__(self, folder) -> None:
        self.lab = Lab(devices=POOL)
        self.known_hosts = folder / "known_hosts"
        self.ssh_config = folder / "ssh_config"
        self._free = {plat: iter([n for n, p in POOL if p == plat]) for _, plat in POOL}

    def __enter__(self) -> "NetconfLab":
        self.lab.start()
        self.lab.write_known_hosts(self.known_hosts)
        self.ssh_config.write_text(f"Host *\n  UserKnownHostsFile {self.known_hosts}\n")
        return self

    def __exit__(self, *exc) -> None:
        self.lab.stop()

    @property
    def password(self) -> str:
        return self.lab.password

    @property
    def ports(self) -> dict[str, int]:
        return self.lab.ports

    def fresh(self, platform: str, **netconf_settings) -> str:
        """An unused device of ``platform`` with NETCONF settings in its ``faults.extra``."""
        name = next(self._free[platform], None)
        assert name is not None, f"device pool has no {platform} left: make POOL bigger"
        self.lab.devices[name].faults.extra.update(netconf_settings)
        return name

    def device(self, name: str):
        return self.lab.devices[name]


def connect(lab: NetconfLab, name: str, timeout: float = 10):
    return manager.connect(host="127.0.0.1", port=lab.ports[name], username="admin",
                           password=lab.password, hostkey_verify=True,
                           ssh_config=str(lab.ssh_config), allow_agent=False,
                           look_for_keys=False, timeout=timeout,
                           unknown_host_cb=lambda host, fingerprint: False)


@contextlib.contextmanager
def nc(lab: NetconfLab, name: str, timeout: float = 10):
    """An ncclient session that is closed at the end unless the server already dropped it."""
    m = connect(lab, name, timeout)
    try:
        yield m
    finally:
        if m.connected:
            try:
                m.close_session()
            except (TransportError, SessionCloseError, TimeoutExpiredError):
                # the session was dropped on purpose and the client has not noticed yet
                faults = lab.device(name).faults
                assert faults.drop_on_commit or faults.extra.get("netconf_drop_on") or \
                    faults.extra.get("netconf_drop_after")


@contextlib.contextmanager
def netmiko_connect(lab: NetconfLab, name: str):
    from netmiko import ConnectHandler
    conn = ConnectHandler(**lab.lab.netmiko_params(name, known_hosts=lab.known_hosts))
    try:
        yield conn
    finally:
        conn.disconnect()


def xr_profile(name: str, frame_window: int = 1000, low: int = 1, high: int = 10) -> str:
    return (f'<config><ethernet-features xmlns="{NS_XR_ETH_INFRA}"><ether-link-oam xmlns="{NS_XR_ELO}">'
            f'<profiles><profile><profile>{name}</profile><mode>passive</mode><link-monitoring><frame>'
            f'<window>{frame_window}</window><threshold><threshold-low>{low}</threshold-low>'
            f'<threshold-high>{high}</threshold-high></threshold></frame></link-monitoring>'
            f'<action><dying-gasp>error-disable</dying-gasp></action></profile></profiles>'
            f'</ether-link-oam></ethernet-features></config>')


def xr_interface(ifname: str, profile: str) -> str:
    return (f'<config><interface-configurations xmlns="{NS_XR_IFMGR}"><interface-configuration>'
            f'<active>act</active><interface-name>{ifname}</interface-name>'
            f'<ethernet-features xmlns="{NS_XR_ETH_INFRA}"><ether-link-oam-enable xmlns="{NS_XR_ELO}"/>'
            f'<ether-link-oam xmlns="{NS_XR_ELO}"><profile-name>{profile}</profile-name></ether-link-oam>'
            f'</ethernet-features></interface-configuration></interface-configurations></config>')


def junos_lfm(ifname: str, pdu_interval: int = 1000, frame_error: int = 10) -> str:
    return ("<config><configuration><protocols><oam><ethernet><link-fault-management>"
            f"<interface><name>{ifname}</name><link-discovery>active</link-discovery>"
            f"<pdu-interval>{pdu_interval}</pdu-interval><event-thresholds>"
            f"<frame-error>{frame_error}</frame-error></event-thresholds></interface>"
            "</link-fault-management></ethernet></oam></protocols></configuration></config>")


PROFILE_LINE = "ethernet oam profile {}"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with NetconfLab(tmp_path_factory.mktemp("nclab")) as running:
        yield running


@pytest.fixture
def xr(lab):
    return lab.fresh("cisco_xr")


def wait_for(predicate, timeout: float = 5.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --------------------------------------------------------------------------- session basics
def test_hello_advertises_capabilities_and_session_id(lab, xr):
    with nc(lab, xr) as m:
        caps = set(m.server_capabilities)
        assert {CAND, CONFIRMED11, VALIDATE11, "urn:ietf:params:netconf:base:1.1",
                "urn:ietf:params:netconf:capability:rollback-on-error:1.0"} <= caps
        assert any(c.startswith(NS_XR_ELO + "?module=Cisco-IOS-XR-ethernet-link-oam-cfg") for c in caps) \
            or not XR.available
        assert int(m.session_id) > 0
        assert lab.device(xr).active_sessions[int(m.session_id)] == "netconf"
    assert wait_for(lambda: int(m.session_id) not in lab.device(xr).active_sessions)


def test_base11_chunked_framing_and_base10_fallback(lab, xr):
    with nc(lab, xr) as m:
        assert m._session._base == NetconfBase.BASE_11      # chunked framing negotiated
        m.edit_config(target="candidate", config=xr_profile("CHUNKED-É"))  # multi-octet text
        assert state_of(lab.device(xr)).sessions[int(m.session_id)].chunked
        data = m.get_config(source="candidate").data_xml
        assert "CHUNKED-É" in data
    dev10 = lab.fresh("cisco_xr", netconf_base11=False)
    with nc(lab, dev10) as m:
        assert "urn:ietf:params:netconf:base:1.1" not in m.server_capabilities
        assert m._session._base == NetconfBase.BASE_10
        assert m.get_config(source="running").ok
        assert not state_of(lab.device(dev10)).sessions[int(m.session_id)].chunked


def test_an_rpc_in_the_same_read_as_the_client_hello_is_answered(lab, xr):
    # A client may send its first RPC, chunked, as soon as it has the server's hello; both can
    # reach the server in one read. The lab split that read the base:1.0 way and left the RPC
    # in its buffer unanswered (a quick ncclient session hung there).
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())   # loopback lab device
    client.connect("127.0.0.1", port=lab.ports[xr], username="admin", password=lab.password,
                   allow_agent=False, look_for_keys=False, timeout=10)
    try:
        channel = client.get_transport().open_session()
        channel.settimeout(10)
        channel.invoke_subsystem("netconf")
        received = b""
        while b"]]>]]>" not in received:
            received += channel.recv(65536)
        assert b"urn:ietf:params:netconf:base:1.1" in received
        hello = (b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
                 b"<capability>urn:ietf:params:netconf:base:1.1</capability></capabilities></hello>")
        rpc = (b'<rpc message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
               b"<get-config><source><running/></source></get-config></rpc>")
        channel.sendall(hello + b"]]>]]>" + b"\n#%d\n" % len(rpc) + rpc + b"\n##\n")
        reply = b""
        while b"\n##\n" not in reply:
            reply += channel.recv(65536)   # times out (10 s) if the RPC was left unread
        assert b'message-id="7"' in reply and b"rpc-reply" in reply
    finally:
        client.close()


def test_get_config_subtree_filter_selects_one_profile(lab, xr):
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("P-ONE"))
        m.edit_config(target="candidate", config=xr_profile("P-TWO", frame_window=2000))
        m.commit()
        filt = (f'<ethernet-features xmlns="{NS_XR_ETH_INFRA}"><ether-link-oam xmlns="{NS_XR_ELO}">'
                f'<profiles><profile><profile>P-TWO</profile></profile></profiles></ether-link-oam>'
                f'</ethernet-features>')
        reply = m.get_config(source="running", filter=("subtree", filt))
        names = [e.text for e in reply.data.iter(f"{{{NS_XR_ELO}}}profile") if e.text]
        assert names == ["P-TWO"]
        assert reply.data.find(f".//{{{NS_XR_ELO}}}window").text == "2000"
        assert reply.data.find(f".//{{{NS_XR_IFMGR}}}interface-configurations") is None
        everything = m.get(filter=("subtree", f'<ethernet-features xmlns="{NS_XR_ETH_INFRA}"/>'))
        assert len([e for e in everything.data.iter(f"{{{NS_XR_ELO}}}profile") if e.text]) == 2


def test_edit_candidate_validate_commit_lands_in_running(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as m:
        m.lock(target="candidate")
        m.edit_config(target="candidate", config=xr_profile("OAMKIT-LAB-STANDARD"))
        m.edit_config(target="candidate", config=xr_interface("GigabitEthernet0/0/0/1",
                                                              "OAMKIT-LAB-STANDARD"))
        assert dev.running.get([PROFILE_LINE.format("OAMKIT-LAB-STANDARD")]) is None
        assert m.validate(source="candidate").ok
        assert m.commit().ok
        m.unlock(target="candidate")
    prof = dev.running.get([PROFILE_LINE.format("OAMKIT-LAB-STANDARD")])
    assert [c.line for c in prof.children] == ["mode passive", "link-monitor",
                                               "action dying-gasp error-disable-interface"]
    assert prof.child("link-monitor").child("frame threshold low 1 high 10") is not None
    assert dev.running.get(["interface GigabitEthernet0/0/0/1", "ethernet oam",
                            "profile OAMKIT-LAB-STANDARD"]) is not None
    assert dev.commit_history[-1].channel == "netconf"


def test_edit_config_delete_and_remove_operations(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("GONE"))
        m.commit()
        delete = xr_profile("GONE").replace("<profile><profile>GONE",
                                            '<profile xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"'
                                            ' nc:operation="delete"><profile>GONE')
        m.edit_config(target="candidate", config=delete)
        with pytest.raises(RPCError) as missing:
            m.edit_config(target="candidate", config=delete)
        assert missing.value.tag == "data-missing"
        m.edit_config(target="candidate", config=delete.replace('"delete"', '"remove"'))
        m.commit()
    assert dev.running.get([PROFILE_LINE.format("GONE")]) is None


def test_confirmed_commit_rolls_back_after_timeout(lab, xr):
    dev = lab.device(xr)
    dev.time_scale = 0.3                      # confirm-timeout 1 s -> 0.3 s of real time
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("TRIAL"))
        m.commit(confirmed=True, timeout="1")
        assert dev.running.get([PROFILE_LINE.format("TRIAL")]) is not None
        assert dev.confirm_pending
        assert wait_for(lambda: dev.running.get([PROFILE_LINE.format("TRIAL")]) is None, 5)
        assert not dev.confirm_pending
        assert "TRIAL" not in m.get_config(source="running").data_xml
        assert "TRIAL" not in m.get_config(source="candidate").data_xml


def test_confirmed_commit_then_confirming_commit_keeps_change(lab, xr):
    dev = lab.device(xr)
    dev.time_scale = 0.3
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("KEEP"))
        m.commit(confirmed=True, timeout="2")
        m.commit()
        time.sleep(1.0)                       # longer than 2 * 0.3 s
        assert dev.running.get([PROFILE_LINE.format("KEEP")]) is not None
        assert not dev.confirm_pending


def test_cancel_commit_and_persist_id(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("CANCEL-ME"))
        m.commit(confirmed=True, timeout="60")
        assert dev.running.get([PROFILE_LINE.format("CANCEL-ME")]) is not None
        assert m.cancel_commit().ok
        assert dev.running.get([PROFILE_LINE.format("CANCEL-ME")]) is None
        with pytest.raises(RPCError) as none_pending:
            m.cancel_commit()
        assert none_pending.value.tag == "operation-failed"
        m.edit_config(target="candidate", config=xr_profile("PERSIST"))
        m.commit(confirmed=True, timeout="60", persist="tok-1")
    # the persistent confirmed commit survives the session; another session confirms it
    assert dev.confirm_pending and dev.running.get([PROFILE_LINE.format("PERSIST")]) is not None
    with nc(lab, xr) as m2:
        with pytest.raises(RPCError) as wrong:
            m2.commit(persist_id="nope")
        assert wrong.value.tag == "invalid-value"
        m2.commit(persist_id="tok-1")
    assert not dev.confirm_pending and dev.running.get([PROFILE_LINE.format("PERSIST")]) is not None


def test_unconfirmed_commit_is_rolled_back_when_its_session_ends(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("SESSION-BOUND"))
        m.commit(confirmed=True, timeout="60")
    assert wait_for(lambda: dev.running.get([PROFILE_LINE.format("SESSION-BOUND")]) is None)


def test_discard_changes_resets_candidate(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=xr_profile("DISCARD-ME"))
        assert "DISCARD-ME" in m.get_config(source="candidate").data_xml
        m.discard_changes()
        assert "DISCARD-ME" not in m.get_config(source="candidate").data_xml
    assert dev.candidate == dev.running


def test_lock_denied_across_sessions_names_the_holder(lab, xr):
    dev = lab.device(xr)
    with nc(lab, xr) as first, nc(lab, xr) as second:
        first.lock(target="candidate")
        with pytest.raises(RPCError) as denied:
            second.lock(target="candidate")
        assert denied.value.tag == "lock-denied"
        assert denied.value.info and f"<session-id>{first.session_id}</session-id>" in \
            denied.value.info.replace("nc:", "")
        with pytest.raises(RPCError) as in_use:
            second.edit_config(target="candidate", config=xr_profile("NOT-MINE"))
        assert in_use.value.tag == "in-use"
        with pytest.raises(RPCError):
            second.unlock(target="candidate")
        first.unlock(target="candidate")
        second.lock(target="candidate")
        assert dev.locks["candidate"] == int(second.session_id)
    assert wait_for(lambda: dev.locks["candidate"] is None)   # released when the session ends


def test_kill_session_releases_its_lock(lab, xr):
    dev = lab.device(xr)
    holder = connect(lab, xr)
    try:
        with nc(lab, xr) as killer:
            holder.lock(target="candidate")
            assert killer.kill_session(holder.session_id).ok
            assert dev.locks["candidate"] is None
            killer.lock(target="candidate")
            holder.timeout = 2
            with pytest.raises((TransportError, SessionCloseError, TimeoutExpiredError)):
                holder.get_config(source="running")
            with pytest.raises(RPCError) as self_kill:
                killer.kill_session(killer.session_id)
            assert self_kill.value.tag == "invalid-value"
    finally:
        if holder.connected:
            holder.close_session()


# --------------------------------------------------------------------------- validation
@needs_xr_yang
def test_out_of_range_rejected_at_edit_config(lab):
    name = lab.fresh("cisco_xr", netconf_validate="edit-config")
    dev = lab.device(name)
    with nc(lab, name) as m:
        with pytest.raises(RPCError) as bad:
            m.edit_config(target="candidate", config=xr_profile("BAD", frame_window=500))
        err = bad.value
        assert (err.tag, err.type, err.severity) == ("invalid-value", "application", "error")
        assert err.path.endswith("/link-monitoring/frame/window")
        assert "range" in err.message
        assert "BAD" not in m.get_config(source="candidate").data_xml
    assert dev.candidate == dev.running


@needs_xr_yang
def test_out_of_range_rejected_at_validate_and_commit(lab):
    name = lab.fresh("cisco_xr", netconf_validate="commit")
    dev = lab.device(name)
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("LATE", frame_window=500))
        assert dev.candidate.get([PROFILE_LINE.format("LATE"), "link-monitor", "frame window 500"])
        with pytest.raises(RPCError) as at_validate:
            m.validate(source="candidate")
        assert at_validate.value.tag == "invalid-value"
        assert at_validate.value.path.endswith("/frame/window")
        with pytest.raises(RPCError) as at_commit:
            m.commit()
        assert at_commit.value.tag == "operation-failed" and "range" in at_commit.value.message
        assert dev.running.get([PROFILE_LINE.format("LATE")]) is None
        m.discard_changes()
        assert m.validate(source="candidate").ok


@needs_xr_yang
def test_xr_payload_validated_by_real_cisco_module(lab, xr):
    with nc(lab, xr) as m:
        with pytest.raises(RPCError) as enum_err:
            m.edit_config(target="candidate", config=xr_profile("E").replace(
                "<mode>passive</mode>", "<mode>sideways</mode>"))
        assert enum_err.value.tag == "invalid-value" and "sideways" in enum_err.value.message
        with pytest.raises(RPCError) as unknown:
            m.edit_config(target="candidate", config=xr_profile("U").replace(
                "<mode>passive</mode>", "<no-such-leaf>1</no-such-leaf>"))
        assert unknown.value.tag == "unknown-element"
        m.edit_config(target="candidate", config=xr_profile("GOOD", frame_window=60000,
                                                            low=1, high=60000000))
        m.commit()
        # YANG allows up to 4294967295; the device (and the lab CLI) stop at 60000000
        m.edit_config(target="candidate", config=xr_profile("GOOD", high=60000001))
        with pytest.raises(RPCError) as beyond_cli:
            m.commit()
        assert "out of range 0-60000000" in beyond_cli.value.message
        m.discard_changes()


@needs_junos_yang
def test_junos_xml_validated_with_own_schema_and_translated(lab):
    name = lab.fresh("juniper_junos")
    dev = lab.device(name)
    with nc(lab, name) as m:
        with pytest.raises(RPCError) as bad:
            m.edit_config(target="candidate", config=junos_lfm("ge-0/0/0", pdu_interval=50))
        assert bad.value.tag == "invalid-value" and bad.value.path.endswith("/pdu-interval")
        m.edit_config(target="candidate", config=junos_lfm("ge-0/0/0", pdu_interval=800))
        m.commit()
        data = m.get_config(source="running", filter=("subtree", "<configuration/>")).data
        assert data.find(f".//{{{NS_JUNOS}}}pdu-interval").text == "800"
    lfm = ["protocols", "oam", "ethernet", "link-fault-management", "interface ge-0/0/0"]
    assert dev.running.get([*lfm, "pdu-interval 800"]) is not None
    assert dev.running.get([*lfm, "event-thresholds", "frame-error 10"]) is not None


def test_ieee_model_device_keeps_neutral_subtree(lab):
    name = lab.fresh("cisco_xr", netconf_model="ieee")
    dev = lab.device(name)
    xml = ('<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" '
           'xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type"><interface><name>eth0</name>'
           '<type>ianaift:ethernetCsmacd</type><link-oam xmlns="urn:oamkit:yang:ieee-link-oam-shape">'
           '<admin>enabled</admin><discovery-info><local><mode>active</mode><functions-supported>'
           '<link-monitor><event-type><threshold-type>frame-event</threshold-type><window>10</window>'
           '<threshold>{}</threshold></event-type></link-monitor></functions-supported></local>'
           '</discovery-info></link-oam></interface></interfaces></config>')
    with nc(lab, name) as m:
        assert any("module=oamkit-ieee-link-oam" in c for c in m.server_capabilities)
        if get_model("ieee").available:
            with pytest.raises(RPCError) as zero:
                m.edit_config(target="candidate", config=xml.format(0))
            assert zero.value.tag == "invalid-value"
        m.edit_config(target="candidate", config=xml.format(3))
        m.commit()
        assert "<threshold>3</threshold>" in m.get_config(source="running").data_xml
    node = dev.running.get(["ieee802-link-oam", "interface eth0", "link-oam", "discovery-info",
                            "local", "functions-supported", "link-monitor", "event-type frame-event"])
    assert node is not None and node.child("threshold 3") is not None


# --------------------------------------------------------------------------- faults
def test_session_dropped_mid_rpc_surfaces_as_ncclient_error(lab):
    name = lab.fresh("cisco_xr")
    dev = lab.device(name)
    with nc(lab, name) as m:
        assert m.get_config(source="running").ok
        dev.faults.extra["netconf_drop_on"] = "get-config"
        m.timeout = 5
        with pytest.raises((TransportError, SessionCloseError, TimeoutExpiredError)):
            m.get_config(source="running")
        assert wait_for(lambda: not m.connected)


def test_commit_failure_fault_is_an_rpc_error_and_running_unchanged(lab):
    name = lab.fresh("cisco_xr")
    dev = lab.device(name)
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("WONT-LAND"))
        dev.faults.commit_error = True
        with pytest.raises(RPCError) as failed:
            m.commit()
        assert failed.value.tag == "operation-failed"
        assert "Failed to commit one or more configuration items" in failed.value.message
        dev.faults.commit_error = False
    assert dev.running.get([PROFILE_LINE.format("WONT-LAND")]) is None


def test_slow_replies_hit_the_client_deadline(lab):
    name = lab.fresh("cisco_xr")
    dev = lab.device(name)
    with nc(lab, name) as m:
        dev.faults.extra["netconf_delay"] = 1.0
        m.timeout = 0.3
        with pytest.raises(TimeoutExpiredError):
            m.get_config(source="running")
        dev.faults.extra["netconf_delay"] = 0.0
        m.timeout = 10                         # the late reply is discarded by ncclient
        assert m.get_config(source="running").ok


# --------------------------------------------------------------------------- shared config
def test_netconf_commit_visible_in_cli_and_cli_commit_visible_in_netconf(lab):
    name = lab.fresh("cisco_xr")
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("FROM-NETCONF"))
        m.edit_config(target="candidate", config=xr_interface("GigabitEthernet0/0/0/2", "FROM-NETCONF"))
        m.commit()
    with netmiko_connect(lab, name) as cli:
        shown = cli.send_command("show running-config")
        assert "ethernet oam profile FROM-NETCONF" in shown
        assert "  frame threshold low 1 high 10" in shown
        cli.send_config_set(["ethernet oam profile FROM-CLI", "mode passive", "link-monitor",
                             "frame window 3000"], exit_config_mode=False)
        cli.commit()
        cli.exit_config_mode()
    with nc(lab, name) as m:
        reply = m.get_config(source="running", filter=(
            "subtree", f'<ethernet-features xmlns="{NS_XR_ETH_INFRA}"><ether-link-oam xmlns="{NS_XR_ELO}">'
                       f'<profiles><profile><profile>FROM-CLI</profile></profile></profiles>'
                       f'</ether-link-oam></ethernet-features>'))
        assert reply.data.find(f".//{{{NS_XR_ELO}}}frame/{{{NS_XR_ELO}}}window").text == "3000"


def test_junos_shared_config_both_ways(lab):
    name = lab.fresh("juniper_junos")
    lfm = "set protocols oam ethernet link-fault-management"
    with netmiko_connect(lab, name) as cli:
        cli.send_config_set([f"{lfm} action-profile AP1 action link-down",
                             f"{lfm} interface ge-0/0/1 apply-action-profile AP1",
                             f"{lfm} interface ge-0/0/1 event-thresholds frame-error 5"],
                            exit_config_mode=False)
        cli.commit()
        cli.exit_config_mode()
        with nc(lab, name) as m:
            data = m.get_config(source="running", filter=(
                "subtree", "<configuration><protocols><oam><ethernet><link-fault-management>"
                           "<interface><name>ge-0/0/1</name></interface>"
                           "</link-fault-management></ethernet></oam></protocols></configuration>")).data
            assert data.find(f".//{{{NS_JUNOS}}}apply-action-profile").text == "AP1"
            assert data.find(f".//{{{NS_JUNOS}}}action-profile") is None      # filtered out
            m.edit_config(target="candidate", config=junos_lfm("ge-0/0/2", pdu_interval=700))
            m.commit()
        shown = cli.send_command("show configuration protocols oam")
        assert "interface ge-0/0/2 {" in shown and "pdu-interval 700;" in shown
        assert "apply-action-profile AP1;" in shown


@needs_junos_yang
def test_junos_leafref_rejected_at_commit_when_configured(lab):
    name = lab.fresh("juniper_junos", netconf_validate="commit")
    dev = lab.device(name)
    bad = junos_lfm("ge-0/0/3").replace("<link-discovery>", "<apply-action-profile>NOPE"
                                        "</apply-action-profile><link-discovery>")
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=bad)           # accepted: checked at commit
        with pytest.raises(RPCError) as missing:
            m.commit()
        assert missing.value.tag == "operation-failed"
        assert missing.value.path.endswith("/apply-action-profile")
    assert dev.running.get(["protocols", "oam"]) is None


def test_ios_without_candidate_uses_writable_running_with_ieee_model(lab):
    name = lab.fresh("cisco_ios")
    xml = ('<config><interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>'
           '<name>eth1</name><type xmlns:x="urn:ietf:params:xml:ns:yang:iana-if-type">x:ethernetCsmacd'
           '</type><link-oam xmlns="urn:oamkit:yang:ieee-link-oam-shape"><admin>enabled</admin>'
           '</link-oam></interface></interfaces></config>')
    with nc(lab, name) as m:
        caps = set(m.server_capabilities)
        assert "urn:ietf:params:netconf:capability:writable-running:1.0" in caps
        assert CAND not in caps
        m.edit_config(target="running", config=xml)
        assert "ianaift:ethernetCsmacd" in m.get_config(source="running").data_xml
    with netmiko_connect(lab, name) as cli:
        shown = cli.send_command("show running-config")
    assert "ieee802-link-oam" in shown and "  type ianaift:ethernetCsmacd" in shown


def test_drop_after_commit_loses_only_the_reply(lab):
    name = lab.fresh("cisco_xr")
    dev = lab.device(name)
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("LANDED-SILENTLY"))
        dev.faults.extra["netconf_drop_after"] = ["commit"]
        m.timeout = 5
        with pytest.raises((TransportError, SessionCloseError, TimeoutExpiredError)):
            m.commit()
    assert dev.running.get([PROFILE_LINE.format("LANDED-SILENTLY")]) is not None


def test_edit_config_test_only_and_default_operation_replace(lab):
    name = lab.fresh("cisco_xr", netconf_validate="commit")
    dev = lab.device(name)
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("A"))
        m.edit_config(target="candidate", config=xr_profile("B"))
        assert m.edit_config(target="candidate", config=xr_profile("C"), test_option="test-only").ok
        assert dev.candidate.get([PROFILE_LINE.format("C")]) is None
        if XR.available:
            with pytest.raises(RPCError) as bad:
                m.edit_config(target="candidate", config=xr_profile("C", frame_window=5),
                              test_option="test-only")
            assert bad.value.tag == "invalid-value"
        m.edit_config(target="candidate", config=xr_profile("ONLY"), default_operation="replace")
    assert dev.candidate.get([PROFILE_LINE.format("A")]) is None
    assert dev.candidate.get([PROFILE_LINE.format("ONLY")]) is not None
    assert dev.candidate.get(["hostname " + name]) is not None     # non-OAM config untouched


# --------------------------------------------------------------------------- renderer payloads
@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """NETCONF payloads from oamkit's own renderer for the example inventory, plus an IEEE host."""
    import shutil

    import yaml

    from oamkit.inventory import Inventory
    from oamkit.render import plan_hosts, render_plan

    folder = tmp_path_factory.mktemp("inv") / "example"
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventories" / "example", folder)
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    (folder / "policies" / "netconf-ieee.yaml").write_text(yaml.safe_dump({"nc-ieee": {
        "mode": "active", "link_monitor": {"frame": {"window": "2s", "low": 3},
                                           "frame_seconds": {"window": "60s", "low": 1},
                                           "frame_period": {"low": 1}}}}))
    hosts["lab-ieee-1"] = {"hostname": "192.0.2.51", "platform": "ieee",
                           "data": {"transport": "netconf", "oam": {
                               "policy": "nc-ieee", "speed": "1G",
                               "interfaces": {"eth0": {}, "eth1": {}}}}}
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    inv = Inventory.load(folder)
    return {p.host.name: render_plan(p, "netconf") for p in plan_hosts(inv, inv.select())
            if "netconf" in p.platform.templates}


@pytest.mark.parametrize("host,platform,settings", [
    ("ams-xr-1", "cisco_xr", {}),
    ("fra-xr-1", "cisco_xr", {"netconf_validate": "commit"}),
    ("fra-mx-1", "juniper_junos", {}),
    ("lab-ieee-1", "cisco_xr", {"netconf_model": "ieee", "netconf_ieee_namespace": "ieee"}),
])
def test_rendered_payload_pushes_validates_and_reads_back(lab, rendered, host, platform, settings):
    name = lab.fresh(platform, **settings)
    dev = lab.device(name)
    payload = rendered[host]
    if platform == "juniper_junos":   # the lab's Junos has ge-0/0/0-3 and refuses what it lacks
        payload = payload.replace("xe-0/1/0", "ge-0/0/1")
    with nc(lab, name) as m:
        m.lock(target="candidate")
        m.edit_config(target="candidate", config=payload)
        assert m.validate(source="candidate").ok
        m.commit(confirmed=True, timeout="30")
        m.commit()
        m.unlock(target="candidate")
        back = m.get_config(source="running").data
    assert dev.running != dev.commit_history[0].before
    # every leaf value the renderer sent is in what the device reports back
    sent = etree.fromstring(payload.encode())
    sent_leaves = {(etree.QName(e).localname, (e.text or "").strip()) for e in sent.iter()
                   if isinstance(e.tag, str) and not len(e) and (e.text or "").strip()}
    got_leaves = {(etree.QName(e).localname, (e.text or "").strip()) for e in back.iter()
                  if isinstance(e.tag, str) and not len(e) and (e.text or "").strip()}
    assert sent_leaves <= got_leaves, sorted(sent_leaves - got_leaves)
    if host == "lab-ieee-1":
        assert back.find(".//{urn:ieee:std:802.3:yang:ieee802-ethernet-link-oam}link-oam") is not None


def test_drop_on_commit_and_hang_faults(lab):
    name = lab.fresh("cisco_xr")
    dev = lab.device(name)
    with nc(lab, name) as m:
        m.edit_config(target="candidate", config=xr_profile("NEVER"))
        dev.faults.drop_on_commit = True
        m.timeout = 5
        with pytest.raises((TransportError, SessionCloseError, TimeoutExpiredError)):
            m.commit()
    assert dev.running.get([PROFILE_LINE.format("NEVER")]) is None
    dev.faults.drop_on_commit = False
    with nc(lab, name) as m:
        dev.faults.hang = True
        m.timeout = 0.5
        with pytest.raises(TimeoutExpiredError):
            m.get_config(source="running")
        dev.faults.hang = False
        m.timeout = 10
        assert m.get_config(source="running").ok            # the swallowed request stays unanswered


@needs_xr_yang
def test_xr_rules_beyond_yang_fail_at_validate_and_commit_like_the_cli(lab, xr):
    dev = lab.device(xr)
    step = xr_profile("STEP").replace(
        "<frame>", "<frame-seconds><window>15500</window></frame-seconds><frame>")
    with nc(lab, xr) as m:
        m.edit_config(target="candidate", config=step)     # YANG range 10000..900000 holds
        with pytest.raises(RPCError) as at_validate:
            m.validate(source="candidate")
        assert at_validate.value.tag == "operation-failed"
        assert "frame-seconds window 15500" in at_validate.value.message
        assert "steps of 1000" in at_validate.value.message
        with pytest.raises(RPCError):
            m.commit()
        m.discard_changes()
        m.edit_config(target="candidate", config=xr_profile("ACTIVE").replace(
            "<mode>passive</mode>", "<mode>active</mode>"))
        with pytest.raises(RPCError) as active:
            m.commit()
        assert "only passive mode" in active.value.message
        m.discard_changes()
    assert dev.running.get([PROFILE_LINE.format("STEP")]) is None
    with netmiko_connect(lab, xr) as cli:                   # the CLI refuses the same line
        out = cli.send_config_set(["ethernet oam profile STEP", "link-monitor",
                                   "frame-seconds window 15500"], exit_config_mode=False)
        assert "Invalid input" in out or "%" in out
        cli.send_command_expect("abort", expect_string=r"#")


@needs_junos_yang
def test_junos_native_rpcs_with_ncclient_junos_handler(lab):
    name = lab.fresh("juniper_junos")
    dev = lab.device(name)
    lfm = "set protocols oam ethernet link-fault-management"
    m = manager.connect(host="127.0.0.1", port=lab.ports[name], username="admin",
                        password=lab.password, hostkey_verify=True, ssh_config=str(lab.ssh_config),
                        allow_agent=False, look_for_keys=False, timeout=10,
                        device_params={"name": "junos"})
    try:
        m.load_configuration(action="set", config=[
            f"{lfm} action-profile AP2 action syslog",
            f"{lfm} interface ge-0/0/3 apply-action-profile AP2",
            f"{lfm} interface ge-0/0/3 pdu-interval 400"])
        assert "commit-check-success" in str(m.commit(check=True))
        dev.time_scale = 0.01                      # 1 minute of confirm-timeout -> 0.6 s
        assert "commit-success" in str(m.commit(confirmed=True, timeout="60", comment="lab"))
        assert dev.commit_history[-1].comment == "lab" and dev.confirm_pending
        assert wait_for(lambda: not dev.confirm_pending, 5)   # not confirmed: rolled back
        assert dev.running.get(["protocols", "oam"]) is None
        m.load_configuration(action="set", config=[f"{lfm} interface ge-0/0/3 pdu-interval 400"])
        m.commit()
        conf = m.get_configuration(format="xml", filter=etree.fromstring(
            "<configuration><protocols><oam/></protocols></configuration>"))
        assert "<pdu-interval>400</pdu-interval>" in str(conf)
        m.load_configuration(action="set", config=[
            "delete protocols oam ethernet link-fault-management interface ge-0/0/3 pdu-interval"])
        with pytest.raises(RPCError) as bad:
            m.load_configuration(action="set", config=[f"{lfm} interface ge-0/0/3 pdu-threshold 50"])
        assert "range" in bad.value.message
        with pytest.raises(RPCError) as syntax:
            m.load_configuration(action="set", config=[f"{lfm} interface ge-0/0/3 window 5"])
        assert "syntax error" in syntax.value.message
        m.commit()
    finally:
        m.close_session()
    assert dev.running.get(["protocols", "oam", "ethernet", "link-fault-management",
                            "interface ge-0/0/3", "pdu-interval 400"]) is None
