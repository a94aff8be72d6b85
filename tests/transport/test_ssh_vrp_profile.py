"""Huawei VRP's SSH server as its command references record it (`vrp-v200r019` in
`oamkit.lab.ssh_profiles`): AES-CTR ciphers and HMAC-SHA2-256 only (no AES-GCM, no
encrypt-then-MAC, which both drivers otherwise prefer), finite-field Diffie-Hellman key exchange
only (no curve25519 or ECDH), and on NE8000 group exchange alone. oamkit must reach such a
device by default, on either driver, and push to it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from oamkit.inventory import Inventory
from oamkit.lab.server import Lab
from oamkit.transport.ssh import SshSession

FAULTS = {
    "vrp-ce": {"ssh_algorithms": "vrp-v200r019"},
    "vrp-ne": {"ssh_algorithms": {"profile": "vrp-v200r019",
                                  "kex_algs": ["diffie-hellman-group-exchange-sha256"]}},
}


@pytest.fixture
def vrp_lab(tmp_path, monkeypatch):
    lab = Lab(devices=[(name, "huawei_vrp") for name in FAULTS], faults=FAULTS, time_scale=0.01).start()
    try:
        folder = lab.write_inventory(tmp_path / "inventory")
        monkeypatch.setenv("OAMKIT_LAB_PASSWORD", lab.password)
        yield lab, folder
    finally:
        lab.stop()


def _use_driver(folder, driver: str) -> None:
    hosts_file = folder / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    for name in FAULTS:
        hosts[name].setdefault("data", {}).setdefault("ssh", {})["driver"] = driver
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False))


def _negotiated(session: SshSession) -> tuple[str, str]:
    conn = session.conn
    if type(conn).__name__ == "NetmikoChannel":
        transport = conn.netmiko.remote_conn.get_transport()
        return transport.local_cipher, transport.local_mac
    return conn._conn.get_extra_info("send_cipher"), conn._conn.get_extra_info("send_mac")


@pytest.mark.parametrize("driver", ["netmiko", "asyncssh"])
def test_vrp_factory_ssh_settings_are_reached_by_default_and_a_push_works(vrp_lab, driver):
    lab, folder = vrp_lab
    _use_driver(folder, driver)
    inv = Inventory.load(folder)
    for host in inv.select(limit=list(FAULTS)):
        session = SshSession.open(inv, host, time.monotonic() + 30)
        try:
            assert _negotiated(session) in {("aes128-ctr", "hmac-sha2-256"),
                                            ("aes256-ctr", "hmac-sha2-256")}, host.name
        finally:
            session.close()
    push = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(folder), "--json"],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert push.returncode == 0, push.stdout[-2000:] + push.stderr[-2000:]
    assert sorted((h["host"], h["outcome"]) for h in json.loads(push.stdout)["hosts"]) == \
        [("vrp-ce", "changed"), ("vrp-ne", "changed")]
    for name in FAULTS:
        assert any("efm" in line for line in lab.device(name).config_commands()), name
