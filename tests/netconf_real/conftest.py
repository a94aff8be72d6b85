"""Fixtures for the suite against a real third-party NETCONF server: Debian's netconfd (yuma123)
with Cisco's IOS-XR link-OAM YANG modules, behind its own sshd (`oamkit.lab.netconfd`).
`scripts/install.sh --test` installs netconfd and openssh-server and fetches the modules; where
either is missing every test here is skipped and says why."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import etree

from oamkit.lab import netconfd, yang_fetch

ROOT = Path(__file__).resolve().parents[2]
IFMGR = "http://cisco.com/ns/yang/Cisco-IOS-XR-ifmgr-cfg"
INFRA = "http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
INTERFACES = ["GigabitEthernet0/0/0/1", "GigabitEthernet0/0/0/2"]
# Someone else's configuration, there before oamkit's first push: it must survive every push
# and rollback, and a rollback must leave exactly it.
SEED = (f'<config xmlns="{NC}"><interface-configurations xmlns="{IFMGR}"><interface-configuration>'
        "<active>act</active><interface-name>GigabitEthernet0/0/0/1</interface-name>"
        "<description>uplink to core</description></interface-configuration>"
        "<interface-configuration><active>act</active><interface-name>GigabitEthernet0/0/0/9"
        "</interface-name><description>not oamkit's</description></interface-configuration>"
        "</interface-configurations></config>")


def _unavailable() -> str | None:
    if os.geteuid() != 0:
        return "sshd must run as root to log a user in"
    missing = netconfd.missing_programs()
    if missing:
        return "not installed (scripts/install.sh --test): " + ", ".join(missing)
    if yang_fetch.cached_xr_dir() is None:
        return "Cisco XR YANG modules not fetched (python -m oamkit.lab.yang_fetch)"
    return None


def _server(join_hello: bool, host_key_types: tuple[str, ...] = ("ed25519",)):
    reason = _unavailable()
    if reason:
        pytest.skip(f"real netconfd: {reason}")
    with netconfd.Netconfd(yang_fetch.cached_xr_dir(), join_hello=join_hello,
                           host_key_types=host_key_types).start() as running:
        with running.connect() as m:
            m.edit_config(target="candidate", config=SEED)
            m.commit()
        yield running


@pytest.fixture
def server():
    """A fresh netconfd + sshd, holding SEED in running."""
    yield from _server(join_hello=False)


@pytest.fixture
def joined_server():
    """The same, where netconfd reads every client's hello and first RPC in one read
    (`netconfd.HelloJoiner`): the condition behind issue #17's 120 s get-config waits."""
    yield from _server(join_hello=True)


@pytest.fixture
def rsa_server():
    """The same, with the host keys most NETCONF gear has had for years: RSA (the one on record
    in known_hosts) and an Ed25519 key added later (OpenSSH's sshd offers both)."""
    yield from _server(join_hello=False, host_key_types=("rsa", "ed25519"))


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state")}


def inventory(server, tmp_path, **netconf) -> Path:
    return server.write_inventory(tmp_path / "inventory", INTERFACES, netconf=netconf,
                                  policies=ROOT / "inventories" / "example" / "policies")


def running_config(server) -> str:
    """The whole of running, canonical (C14N, no formatting whitespace): two reads compare
    equal exactly when the server holds the same configuration."""
    with server.connect() as m:
        data = m.get_config("running").data_xml
    root = etree.fromstring(data.encode(), etree.XMLParser(remove_blank_text=True))
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
    return etree.tostring(root, method="c14n").decode()
