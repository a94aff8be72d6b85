"""Inventories kept elsewhere, through Nornir inventory plugins (`--inventory nornir:CONFIG.yaml`):
an Ansible YAML inventory through nornir_ansible's AnsibleInventory, and NetBox through
nornir_netbox's NetBoxInventory2. Validated as strictly as a folder inventory; pushed to the lab
over real SSH."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from oamkit.inventory import Inventory

NETWORK_OS = {"cisco_ios": "cisco.ios.ios", "cisco_xr": "cisco.iosxr.iosxr",
              "juniper_junos": "junipernetworks.junos.junos", "huawei_vrp": "huawei_vrp"}


def oamkit(tmp_path, *args, env_extra=None):
    env = {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=240)


def ansible_inventory(folder: Path) -> dict:
    """The lab's SimpleInventory folder, written as a team would keep it in Ansible: connection
    facts as ansible_* variables, the platform as ansible_network_os, oamkit's keys as vars."""
    hosts = yaml.safe_load((folder / "hosts.yaml").read_text())
    groups = yaml.safe_load((folder / "groups.yaml").read_text())
    defaults = yaml.safe_load((folder / "defaults.yaml").read_text())
    children: dict = {}
    for name, host in hosts.items():
        platform = host["platform"]
        group = children.setdefault(platform, {
            "vars": {"ansible_network_os": NETWORK_OS[platform], **groups[platform]["data"]},
            "hosts": {}})
        group["hosts"][name] = {"ansible_host": host["hostname"], "ansible_port": host["port"],
                                **host["data"]}
    return {"all": {"vars": {"ansible_user": defaults["username"], **defaults["data"]},
                    "children": children}}


def write_ansible_config(folder: Path, inventory: dict) -> Path:
    (folder / "ansible-hosts.yaml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    config = folder / "nornir.yaml"
    config.write_text(yaml.safe_dump({"inventory": {"plugin": "AnsibleInventory",
                                                    "options": {"hostsfile": "ansible-hosts.yaml"}}}))
    return config


@pytest.mark.lab
def test_ansible_inventory_gives_the_same_hosts_and_intents_and_pushes(lab, lab_inventory, tmp_path):
    config = write_ansible_config(lab_inventory, ansible_inventory(lab_inventory))
    folder, ansible = Inventory.load(lab_inventory), Inventory.load(f"nornir:{config}")
    assert sorted(ansible.hosts) == sorted(folder.hosts) == ["ios-1", "junos-1", "vrp-1", "xr-1"]
    # what worker processes (dask) load again: the same source, not the folder beside it
    assert ansible.source == f"nornir:{config.resolve()}"
    assert Inventory.load(ansible.source).hosts == ansible.hosts
    assert Inventory.load(folder.source).hosts == folder.hosts
    for name, host in folder.hosts.items():
        other = ansible.hosts[name]
        assert (other.platform, other.hostname, other.port, other.username, other.credentials) == \
            (host.platform, host.hostname, host.port, host.username, host.credentials)
        assert ansible.intents(other) == folder.intents(host)
    pushed = oamkit(tmp_path, "push", "-i", f"nornir:{config}", "--json", "--confirm-timeout", "3600",
                    env_extra={"OAMKIT_LAB_PASSWORD": lab.password})
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "ethernet oam" in lab.devices["ios-1"].running.to_text()
    # the folder inventory sees nothing left to push: both gave the devices the same intent
    diff = oamkit(tmp_path, "diff", "-i", str(lab_inventory), "--json",
                  env_extra={"OAMKIT_LAB_PASSWORD": lab.password})
    assert diff.returncode == 0, diff.stdout + diff.stderr
    diffs = json.loads(diff.stdout)["hosts"]
    assert len(diffs) == 4 and all(not h["commands"] and not h["removed"] for h in diffs), \
        diff.stdout[:3000]


@pytest.mark.parametrize("change, field, shown", [
    (lambda inv: inv["all"]["children"]["cisco_ios"]["vars"].update(ansible_network_os="arista.eos.eos"),
     "platform", "eos"),
    (lambda inv: inv["all"]["children"]["cisco_ios"]["hosts"]["ios-1"]["oam"].update(speed="fast"),
     "oam.speed", "fast"),
    (lambda inv: inv["all"]["children"]["cisco_ios"]["hosts"]["ios-1"].update(ansible_password="hunter2-plain"),
     "password", None),
    (lambda inv: inv["all"]["children"]["cisco_ios"]["hosts"]["ios-1"].update(ssh={"timeout": -1}),
     "ssh.timeout", None),
])
def test_bad_values_in_an_ansible_inventory_exit_2_naming_host_and_key(tmp_path, change, field, shown):
    folder = tmp_path / "inv"
    (folder / "policies").mkdir(parents=True)
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventories" / "example" / "policies",
                    folder / "policies", dirs_exist_ok=True)
    inventory = {"all": {"vars": {"ansible_user": "admin", "credentials": {"password_env": "X_PW"},
                                  "oam": {"policy": "lab-standard", "speed": "1G"}},
                         "children": {"cisco_ios": {"vars": {"ansible_network_os": "ios"}, "hosts": {
                             "ios-1": {"ansible_host": "127.0.0.1", "ansible_port": 9,
                                       "oam": {"interfaces": {"GigabitEthernet0/1": {}}}}}}}}}
    change(inventory)
    config = write_ansible_config(folder, inventory)
    result = oamkit(tmp_path, "render", "-i", f"nornir:{config}", env_extra={"X_PW": "x"})
    out = result.stdout + result.stderr
    assert result.returncode == 2, out
    assert "ios-1" in out and field in out and str(config) in out, out
    if shown:
        assert repr(shown) in out or shown in out, out
    assert "hunter2-plain" not in out


def test_a_broken_plugin_source_is_exit_2_naming_the_config(tmp_path):
    config = tmp_path / "nornir.yaml"
    config.write_text(yaml.safe_dump({"inventory": {"plugin": "AnsibleInventory",
                                                    "options": {"hostsfile": "missing.yaml"}}}))
    result = oamkit(tmp_path, "render", "-i", f"nornir:{config}")
    assert result.returncode == 2 and str(config) in result.stderr + result.stdout, result.stderr


class _NetBox(BaseHTTPRequestHandler):
    """Just enough of NetBox's REST API (`GET /api/dcim/devices/`, paginated) for
    nornir_netbox. NetBox itself (Django, PostgreSQL, Redis) cannot be installed here; the
    replies have the shape of NetBox 3.x/4.x's device serializer for the fields the plugin reads."""

    devices: list[dict] = []
    seen_tokens: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.seen_tokens.append(self.headers.get("Authorization", ""))
        if not self.path.startswith("/api/dcim/devices/"):
            self.send_error(404)
            return
        page = 1 if "page=2" not in self.path else 2
        host, port = self.server.server_address
        results = self.devices[:1] if page == 1 else self.devices[1:]
        body = json.dumps({"count": len(self.devices), "previous": None, "results": results,
                           "next": f"http://{host}:{port}/api/dcim/devices/?limit=0&page=2"
                           if page == 1 and len(self.devices) > 1 else None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def netbox_device(ident: int, name: str, slug: str, oam: dict) -> dict:
    return {"id": ident, "name": name, "display": name, "status": {"value": "active"},
            "primary_ip": {"id": ident, "address": "127.0.0.1/32", "family": {"value": 4}},
            "platform": {"id": 1, "name": slug.upper(), "slug": slug},
            "site": {"id": 1, "name": "Lab", "slug": "lab"},
            "role": {"id": 1, "name": "Edge", "slug": "edge"},
            "device_type": {"id": 1, "slug": "lab-router", "manufacturer": {"id": 1, "slug": "cisco"}},
            "custom_fields": {}, "tags": [], "config_context": {"oam": oam}}


@pytest.mark.lab
def test_netbox_inventory_through_nornir_netbox_pushes_to_the_lab(lab, lab_inventory, tmp_path):
    token = "0123456789abcdef-test-token"
    hosts = yaml.safe_load((lab_inventory / "hosts.yaml").read_text())
    _NetBox.devices = [netbox_device(1, "ios-1", "cisco-ios",
                                     {"policy": "lab-ios", **hosts["ios-1"]["data"]["oam"]}),
                       netbox_device(2, "xr-1", "cisco-ios-xr",
                                     {"policy": "lab-xr", **hosts["xr-1"]["data"]["oam"]})]
    _NetBox.seen_tokens = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NetBox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        nb = tmp_path / "netbox"
        shutil.copytree(lab_inventory / "policies", nb / "policies")
        # NetBox keeps no SSH port per device (fleets use 22, from the defaults file); the lab's
        # ports differ, so the defaults file names each host's port in turn below
        (nb / "nb-groups.yaml").write_text(yaml.safe_dump({}))
        (nb / "nb-defaults.yaml").write_text(yaml.safe_dump({
            "username": lab.username,
            "data": {"credentials": {"password_env": "OAMKIT_LAB_PASSWORD"},
                     "ssh": {"known_hosts": str(lab_inventory / "known_hosts")},
                     "oam": {"speed": "1G"}}}))
        config = nb / "nornir.yaml"
        config.write_text(yaml.safe_dump({"inventory": {"plugin": "NetBoxInventory2", "options": {
            "nb_url": f"http://127.0.0.1:{server.server_address[1]}", "nb_token": token,
            "use_platform_slug": True, "group_file": "nb-groups.yaml",
            "defaults_file": "nb-defaults.yaml"}}}))
        inventory = Inventory.load(f"nornir:{config}")
        assert {n: h.platform for n, h in inventory.hosts.items()} == {"ios-1": "cisco_ios",
                                                                         "xr-1": "cisco_xr"}
        # nornir_netbox's groups (site__lab, ...) select as folder groups do
        assert [h.name for h in inventory.select(["group=site__lab"])] == ["ios-1", "xr-1"]
        assert all(t == f"Token {token}" for t in _NetBox.seen_tokens)
        for name in ("ios-1", "xr-1"):
            defaults = yaml.safe_load((nb / "nb-defaults.yaml").read_text())
            defaults["port"] = hosts[name]["port"]
            (nb / "nb-defaults.yaml").write_text(yaml.safe_dump(defaults))
            pushed = oamkit(tmp_path, "push", "-i", f"nornir:{config}", "--limit", name, "--json",
                            "--confirm-timeout", "3600", env_extra={"OAMKIT_LAB_PASSWORD": lab.password})
            assert pushed.returncode == 0, pushed.stdout + pushed.stderr
            assert token not in pushed.stdout + pushed.stderr
        assert "ethernet oam" in lab.devices["ios-1"].running.to_text()
        assert "ethernet oam" in lab.devices["xr-1"].running.to_text()
        assert "ethernet oam" not in lab.devices["junos-1"].running.to_text()
    finally:
        server.shutdown()


def test_nornir_tasks_run_on_an_ansible_inventory(tmp_path):
    """A team's runbook: InitNornir over the Ansible inventory, oamkit's task given the config."""
    from nornir import InitNornir

    from oamkit.nornir import oam_render

    folder = tmp_path / "inv"
    shutil.copytree(Path(__file__).resolve().parents[2] / "inventories" / "example" / "policies",
                    folder / "policies")
    inventory = {"all": {"vars": {"ansible_user": "admin", "oam": {"policy": "lab-standard", "speed": "1G"}},
                         "children": {"core": {"vars": {"ansible_network_os": "cisco.iosxr.iosxr"}, "hosts": {
                             "xr-9": {"ansible_host": "127.0.0.1",
                                      "oam": {"interfaces": {"GigabitEthernet0/0/0/1": {}}}}}}}}}
    config = write_ansible_config(folder, inventory)
    # Nornir itself opens the hosts file relative to the working directory: the runbook's config
    # names it absolutely (oamkit, given the config, reads relative paths beside it either way)
    config.write_text(config.read_text().replace("ansible-hosts.yaml",
                                                 str(folder / "ansible-hosts.yaml")))
    nr = InitNornir(config_file=str(config), logging={"enabled": False}, runner={"plugin": "serial"})
    result = nr.run(task=oam_render, inventory=f"nornir:{config}")
    assert not result.failed, result["xr-9"][0].exception
    assert "interface GigabitEthernet0/0/0/1" in result["xr-9"][0].result
    assert "ethernet oam profile" in result["xr-9"][0].result
