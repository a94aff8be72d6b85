"""The known_hosts index matches what paramiko (plain and hashed names) and OpenSSH (patterns,
negations) would accept, and stays linear in the size of the fleet."""
from __future__ import annotations

import time

import asyncssh
import paramiko
import pytest

from oamkit.lab.server import set_ssh_driver
from oamkit.transport.hostkeys import KnownHosts


@pytest.fixture(scope="module")
def keys():
    return [asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()[:2]
            for _ in range(2)]


def test_plain_and_hashed_names_give_the_same_keys_as_paramiko(tmp_path, keys):
    (kind, a), (_, b) = keys
    hashed = paramiko.HostKeys.hash_host("[10.0.0.1]:830")
    path = tmp_path / "known_hosts"
    path.write_text(f"# comment\n\n{hashed} {kind} {a}\nr1.lab,10.0.0.2 {kind} {b}\n"
                    f"r1.lab {kind} {a}\n")
    ours, theirs = KnownHosts(path), paramiko.HostKeys(str(path))
    for name in ("[10.0.0.1]:830", "r1.lab", "10.0.0.2", "[10.0.0.1]:22", "r2.lab"):
        assert {k: v.get_base64() for k, v in ours.lookup(name).items()} == \
            {k: v.get_base64() for k, v in (theirs.lookup(name) or {}).items()}, name
    assert ours.lookup("r1.lab")[kind].get_base64() == b   # the first line for a name wins
    path.write_text(path.read_text() + "r9.lab ssh-ed25519 not-base64\n")
    assert KnownHosts(path).lookup("r1.lab")   # a broken line is skipped, as OpenSSH does


def test_patterns_and_negations_follow_openssh(tmp_path, keys):
    (kind, a), _ = keys
    path = tmp_path / "known_hosts"
    path.write_text(f"*.lab,!bad.lab {kind} {a}\n")
    known = KnownHosts(path)
    assert kind in known.lookup("r7.lab")
    assert known.lookup("bad.lab") == {}
    assert known.lookup("r7.example") == {}


def test_a_large_fleet_is_indexed_not_scanned(tmp_path, keys):
    (kind, a), _ = keys
    path = tmp_path / "known_hosts"
    path.write_text("".join(f"[127.0.0.1]:{10000 + i} {kind} {a}\n" for i in range(3000)))
    known = KnownHosts(path)
    assert all(known.lookup(f"[127.0.0.1]:{10000 + i}") for i in range(3000))
    # behaviour, not a timing goal: no per-lookup scan of the plain entries
    assert known.others == [] and len(known.plain) == 3000


@pytest.fixture(params=["netmiko", "asyncssh"])
def driver(request) -> str:
    return request.param


def _diff_error(lab_inventory, host: str, driver: str) -> str:
    from oamkit import engine
    from oamkit.inventory import Inventory
    from oamkit.render import plan_hosts

    set_ssh_driver(lab_inventory, driver)
    inv = Inventory.load(lab_inventory)
    plan = plan_hosts(inv, inv.select(limit=host))[0]
    result = engine.diff_host(inv, plan, time.monotonic() + 30)
    assert result.outcome == engine.ERROR, result
    return result.error


def test_a_host_whose_key_changed_is_refused(lab, lab_inventory, keys, driver):
    kind, other = keys[0]
    known = lab_inventory / "known_hosts"
    port = lab.ports["ios-1"]
    lines = [line for line in known.read_text().splitlines() if f"]:{port} " not in line]
    known.write_text("\n".join(lines + [f"[127.0.0.1]:{port} {kind} {other}"]) + "\n")
    error = _diff_error(lab_inventory, "ios-1", driver)
    assert error.startswith("ios-1: ") and "host key not trusted" in error and "does not match" in error, error
    assert str(known) in error, error   # the file the user keeps, not our per-host copy


def test_a_host_missing_from_known_hosts_is_refused(lab, lab_inventory, driver):
    known = lab_inventory / "known_hosts"
    port = lab.ports["xr-1"]
    known.write_text("\n".join(line for line in known.read_text().splitlines()
                               if f"]:{port} " not in line) + "\n")
    error = _diff_error(lab_inventory, "xr-1", driver)
    assert error.startswith("xr-1: ") and "host key not trusted" in error, error
    assert "not found in known_hosts" in error and str(known) in error, error
