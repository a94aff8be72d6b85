"""The known_hosts index matches what paramiko (plain and hashed names) and OpenSSH (patterns,
negations) would accept, and stays linear in the size of the fleet."""
from __future__ import annotations

import base64
import os
import time

import asyncssh
import paramiko
import pytest

from oamkit.lab.server import set_ssh_driver
from oamkit.transport.hostkeys import HostKeyRefused, KnownHosts, PublicKey, hash_host, parse_line


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


def _public(kind: str) -> tuple[str, bytes]:
    key = asyncssh.generate_private_key(kind)
    return key.get_algorithm(), key.public_data


def _wire(*fields: bytes) -> bytes:
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)


def _wire_fields(blob: bytes) -> list[bytes]:
    fields = []
    while blob:
        size = int.from_bytes(blob[:4], "big")
        fields.append(blob[4:4 + size])
        blob = blob[4 + size:]
    return fields


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def every_kind():
    return {kind: _public(kind) for kind in ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256",
                                             "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")}


def test_a_public_key_reads_and_prints_as_paramikos(every_kind):
    """PublicKey (no paramiko) stands in for paramiko's PKey in the policy and its messages."""
    for kind, blob in every_kind.values():
        ours, theirs = PublicKey.from_wire(kind, blob), paramiko.PKey.from_type_string(kind, blob)
        assert (ours.get_name(), ours.asbytes(), ours.get_base64(), ours.fingerprint) == \
            (theirs.get_name(), theirs.asbytes(), theirs.get_base64(), theirs.fingerprint), kind
        assert ours == theirs and PublicKey.of(theirs) == ours and hash(PublicKey.of(theirs)) == hash(ours)
    (kind, blob), (_, other) = every_kind["ssh-ed25519"], _public("ssh-ed25519")
    assert PublicKey.from_wire(kind, blob) != PublicKey.from_wire(kind, other)


def test_hashed_names_are_paramikos(every_kind):
    for name in ("r1.lab", "[10.0.0.1]:830", "[::1]:2222", "ünï.lab"):
        salt = os.urandom(20)
        salted = paramiko.HostKeys.hash_host(name, "|1|" + _b64(salt))
        assert hash_host(name, salt) == salted, name
        assert hash_host(name).startswith("|1|") and hash_host(name) != hash_host(name)
        ours = KnownHosts(None)
        ours.others.append(([salted], PublicKey.from_wire(*every_kind["ssh-ed25519"])))
        assert ours.lookup(name) and not ours.lookup(name + "x"), name


def test_known_hosts_lines_are_read_as_paramiko_reads_them(every_kind):
    """Every line paramiko's HostKeyEntry.from_line accepts gives the same names and key here;
    every line it skips (None) or rejects (an exception, skipped by the old code) is skipped."""
    ed, ed_blob = every_kind["ssh-ed25519"]
    rsa, rsa_blob = every_kind["ssh-rsa"]
    p256, p256_blob = every_kind["ecdsa-sha2-nistp256"]
    p384_blob = every_kind["ecdsa-sha2-nistp384"][1]
    e, r, p = _b64(ed_blob), _b64(rsa_blob), _b64(p256_blob)
    hashed = paramiko.HostKeys.hash_host("[10.0.0.1]:830")
    same = [
        f"r1.lab {ed} {e}", f"r1.lab,10.0.0.2 {ed} {e} a comment", f"r1.lab\t{ed}\t{e}",
        f"{hashed} {ed} {e}", f"*.lab,!bad.lab {ed} {e}", f"[r1.lab]:2222,[10.0.0.1]:830 {rsa} {r}",
        f"10.0.0.? {p256} {p}", f"r1.lab rsa-sha2-256 {r}", f"r1.lab rsa-sha2-512 {r}",
        f"r1.lab {rsa} {r} ", f"r1.lab {ed} {e[:20]}\n{e[20:]}",
        # skipped by both
        "r1.lab", f"r1.lab {ed}", f"r1.lab  {ed} {e}", f"r1.lab ssh-dss {e}", f"r1.lab foo {e}",
        f"@cert-authority *.lab {ed} {e}", f"@revoked r1.lab {ed} {e}", f"r1.lab {ed} not-base64!",
        f"r1.lab {ed} {e[:-2]}", f"r1.lab {rsa} {e}", f"r1.lab {ed} {r}", f"r1.lab {p256} {e}",
        f"r1.lab ecdsa-sha2-nistp256 {_b64(_wire(b'ecdsa-sha2-nistp256', b'nistp384', bytes(97)))}",
        f"r1.lab ssh-ed25519 {_b64(_wire(b'ssh-ed25519', bytes(31)))}",
        f"r1.lab ssh-ed25519 {_b64(_wire(b'ssh-rsa', bytes(32)))}",   # a key of another type
        f"r1.lab ssh-rsa {_b64(_wire(b'ssh-ed25519', b'x', b'y'))}",
        f"r1.lab ecdsa-sha2-nistp256 {_b64(_wire(b'ecdsa-sha2-nistp384', *_wire_fields(p256_blob)[1:]))}",
        f"r1.lab ssh-rsa-cert-v01@openssh.com {e}",
    ]
    for line in same:
        try:
            theirs = paramiko.hostkeys.HostKeyEntry.from_line(line)
        except Exception:
            theirs = None
        ours = parse_line(line)
        if theirs is None:
            assert ours is None, line
        else:
            assert ours is not None and ours.hostnames == theirs.hostnames, line
            assert ours.key == theirs.key and ours.key.get_name() == theirs.key.get_name(), line
    # Where paramiko is laxer than OpenSSH, we skip the line as OpenSSH does: a key whose blob
    # names another curve than its type, a truncated blob (paramiko pads it with zeros).
    assert paramiko.hostkeys.HostKeyEntry.from_line(f"r1.lab {p256} {_b64(p384_blob)}") is not None
    assert parse_line(f"r1.lab {p256} {_b64(p384_blob)}") is None
    assert parse_line(f"r1.lab {rsa} {_b64(rsa_blob[:-10])}") is None


def test_paramiko_sees_a_refusal_as_its_own():
    from oamkit.transport.paramiko_keys import ParamikoHostKeyRefused, refused_for_paramiko

    refused = refused_for_paramiko(HostKeyRefused("host key not trusted: x"))
    assert isinstance(refused, ParamikoHostKeyRefused)
    assert isinstance(refused, paramiko.SSHException) and isinstance(refused, HostKeyRefused)
    assert str(refused) == "host key not trusted: x"


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
    # the same text on both drivers: netmiko passes the refusal on as paramiko's own
    assert error.startswith(f"ios-1: cannot connect to 127.0.0.1:{port}: host key not trusted: the "
                            f"{kind} key offered by [127.0.0.1]:{port} ("), error
    assert "does not match" in error, error
    assert str(known) in error, error   # the file the user keeps, not our per-host copy


def test_a_host_missing_from_known_hosts_is_refused(lab, lab_inventory, driver):
    known = lab_inventory / "known_hosts"
    port = lab.ports["xr-1"]
    known.write_text("\n".join(line for line in known.read_text().splitlines()
                               if f"]:{port} " not in line) + "\n")
    error = _diff_error(lab_inventory, "xr-1", driver)
    assert error.startswith(f"xr-1: cannot connect to 127.0.0.1:{port}: host key not trusted: "
                            f"[127.0.0.1]:{port} not found in known_hosts "), error
    assert "not found in known_hosts" in error and str(known) in error, error
