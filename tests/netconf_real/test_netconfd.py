"""oamkit against a real third-party NETCONF server: yuma123's netconfd with Cisco's
Cisco-IOS-XR-ethernet-link-oam-cfg (see conftest). Push, re-push, read-back verify, rollback
exactness and the `netconf.validate` setting, over ncclient and SSH, nothing emulated."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lxml import etree

from oamkit import xmlcompare
from oamkit.lab import yang_fetch
from oamkit.platforms import get_platform

from .conftest import running_config, inventory

XR = get_platform("cisco_xr").netconf
OURS = {"GigabitEthernet0/0/0/1", "GigabitEthernet0/0/0/2"}
FILTER = ('<filter type="subtree"><interface-configurations '
          'xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-ifmgr-cfg"/><ethernet-features '
          'xmlns="http://cisco.com/ns/yang/Cisco-IOS-XR-l2-eth-infra-cfg"/></filter>')


def oamkit(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def run(env, *args) -> tuple[int, dict]:
    result = oamkit(env, *args, "--json")
    assert result.stdout, result.stderr
    return result.returncode, {h["host"]: h for h in json.loads(result.stdout)["hosts"]}["xr-real"]


def push(env, inv):
    return run(env, "push", "-i", str(inv), "--confirm-timeout", "60")


def owned_leaves(server) -> dict[str, str]:
    with server.connect() as m:
        data = etree.fromstring(m.get_config("running", filter=FILTER).data_xml.encode())
    return xmlcompare.owned(xmlcompare.flatten(data, XR), XR, OURS)


def test_push_lands_verifies_and_a_repush_has_nothing_to_do(server, tmp_path, env):
    inv = inventory(server, tmp_path)
    before = running_config(server)
    code, host = push(env, inv)
    assert (code, host["outcome"]) == (0, "changed"), host
    leaves = owned_leaves(server)
    assert leaves["ethernet-features/ether-link-oam/profiles/profile[profile=OAMKIT-LAB-XR]"
                  "/link-monitoring/frame/threshold/threshold-high"] == "10"
    for name in OURS:
        assert leaves[f"interface-configurations/interface-configuration[active=act,interface-name="
                      f"{name}]/ethernet-features/ether-link-oam/profile-name"] == "OAMKIT-LAB-XR"
    after = running_config(server)
    assert "uplink to core" in after and "not oamkit's" in after and after != before
    code, host = push(env, inv)
    assert (code, host["outcome"], host["commands"]) == (0, "unchanged", []), host
    assert running_config(server) == after


def test_the_pushed_configuration_validates_with_yanglint(server, tmp_path, env):
    """What netconfd accepted from oamkit is valid Cisco YANG to an independent validator."""
    code, host = push(env, inventory(server, tmp_path))
    assert code == 0, host
    with server.connect() as m:
        data = etree.fromstring(m.get_config("running", filter=FILTER).data_xml.encode())
    config = tmp_path / "running.xml"
    config.write_bytes(b"".join(etree.tostring(top) for top in data
                                if etree.QName(top).localname != "nacm"))
    yang = yang_fetch.cached_xr_dir()
    result = subprocess.run(["yanglint", "-t", "config", "-p", str(yang),
                             str(yang / "Cisco-IOS-XR-ethernet-link-oam-cfg.yang"), str(config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "OAMKIT-LAB-XR" in config.read_text()


def test_rollback_by_change_id_leaves_exactly_what_was_there(server, tmp_path, env):
    """The push created an interface-configuration entry (Gi0/0/0/2) and containers that did
    not exist; the rollback removes them too, not only the OAM leaves under them."""
    inv = inventory(server, tmp_path)
    before = running_config(server)
    code, host = push(env, inv)
    assert code == 0 and host["outcome"] == "changed", host
    assert "GigabitEthernet0/0/0/2" in running_config(server)
    code, host = run(env, "rollback", "-i", str(inv), "--change", "last")
    assert (code, host["outcome"]) == (0, "changed"), host
    assert running_config(server) == before
    code, host = run(env, "rollback", "-i", str(inv), "--change", "last")
    assert host["outcome"] == "unchanged", host


def test_validate_always_loses_the_change_here_and_the_push_rolls_back(server, tmp_path, env):
    """netconfd 2.13 answers <ok/> to <validate> and to <commit> and leaves running as it was:
    the read-back catches it, and running is exactly as before. (If this starts to pass a
    push, netconfd was fixed and `VALIDATE_LOSES_CHANGE` can go.)"""
    inv = inventory(server, tmp_path, validate="always")
    before = running_config(server)
    code, host = push(env, inv)
    assert (code, host["outcome"]) == (1, "failed-rolled-back"), host
    assert "read-back differs from the intent" in host["error"]
    assert running_config(server) == before


@pytest.mark.parametrize("setting", ["auto", "never"])
def test_validate_auto_and_never_skip_the_step_that_loses_the_change(server, tmp_path, env, setting):
    inv = inventory(server, tmp_path, validate=setting)
    shown = json.loads(oamkit(env, "inventory", "show", "xr-real", "-i", str(inv), "--json").stdout)
    assert shown["netconf"]["validate"] == setting
    code, host = push(env, inv)
    assert (code, host["outcome"]) == (0, "changed"), host
    assert owned_leaves(server)


def test_a_failed_commit_confirm_window_is_restored_exactly(server, tmp_path, env):
    """A push that fails after its commit (the health gate cannot read OAM states: this server
    has no CLI) is rolled back to exactly the configuration that was there."""
    inv = inventory(server, tmp_path)
    hosts = (inv / "hosts.yaml")
    hosts.write_text(hosts.read_text().replace("policy: lab-xr", "policy: lab-xr-gated"))
    (inv / "policies" / "gated.yaml").write_text(
        "lab-xr-gated:\n  extends: lab-xr\n  require_operational: true\n")
    before = running_config(server)
    code, host = push(env, inv)
    assert host["outcome"] == "failed-rolled-back", host
    assert running_config(server) == before


def test_unchanged_repushes_each_get_their_replies(server, tmp_path, env):
    """Unchanged re-pushes in a row (the issue saw 1 in 4 wait for the whole deadline for a
    get-config reply; test_first_rpc.py forces that case): each one reads, finds nothing to
    do and ends with its outcome; the deadline is low so that a lost reply fails the run."""
    inv = inventory(server, tmp_path)
    code, host = push(env, inv)
    assert code == 0, host
    for attempt in range(8):
        code, host = run(env, "push", "-i", str(inv), "--timeout", "20")
        assert (code, host["outcome"]) == (0, "unchanged"), (attempt, host)


def test_an_rsa_host_key_on_record_is_what_oamkit_asks_openssh_for(rsa_server, tmp_path, env):
    """OpenSSH's sshd offers its RSA and Ed25519 keys; known_hosts has the RSA one. ncclient
    asked for the recorded key's type by its name, ssh-rsa, which paramiko 5 no longer
    verifies: "Incompatible ssh peer (no acceptable host key)", the device unreachable. Without
    the recorded type first, the Ed25519 key would be refused as a changed key."""
    inv = inventory(rsa_server, tmp_path)
    assert " ssh-rsa " in (inv / "known_hosts").read_text()
    code, host = push(env, inv)
    assert (code, host["outcome"]) == (0, "changed"), host
    code, host = run(env, "diff", "-i", str(inv))
    assert code == 0 and host["outcome"] == "unchanged", host
