"""Hostile and careless input stops with exit 2 and a message naming file/host/key/value, before
anything is rendered, written or sent: newlines that would become device commands, names the
device cannot hold, host names that would escape a folder, duplicate YAML keys, YAML booleans
as numbers, passwords in the inventory, and usage errors on every command."""
from __future__ import annotations

import pytest
import yaml

from oamkit.cli import app

from .conftest import run_cli


def host(platform="cisco_ios", interfaces=None, policy="p", name="r1", **data):
    return {name: {"hostname": "127.0.0.1", "platform": platform,
                   "data": {"oam": {"policy": policy, "interfaces": interfaces or {"GigabitEthernet0/1": {}}},
                            **data}}}


def refused(result, *expected: str) -> str:
    """Exit 2, no traceback, every expected fragment in stderr (white space folded)."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    text = " ".join(result.stderr.split())
    for fragment in expected:
        assert fragment in text, text
    return text


def test_a_newline_in_an_interface_key_never_becomes_a_command(make_inventory, tmp_path):
    inv = make_inventory(host(interfaces={"GigabitEthernet0/1\nhostname PWNED": {}}))
    out = tmp_path / "out"
    refused(run_cli("render", "-i", str(inv), "--out", str(out)),
            "hosts.yaml: host r1: data.oam.interfaces: key contains a control character",
            r"'GigabitEthernet0/1\nhostname PWNED'")
    assert not out.exists()


@pytest.mark.parametrize("platform, name", [("cisco_xr", "GigabitEthernet0/0/0/0é"),
                                            ("cisco_ios", "Gigabit Ethernet0/1"),
                                            ("juniper_junos", "GE-0/0/0;delete"),
                                            ("huawei_vrp", "GigabitEthernet0/0/1|include")])
def test_interface_names_the_platform_cannot_hold_are_refused(make_inventory, platform, name):
    inv = make_inventory(host(platform, {name: {}}, speed="1G"))
    refused(run_cli("render", "-i", str(inv)), "host r1: oam.interfaces: not a valid interface name",
            f"(got {name!r})")


def test_a_policy_name_that_makes_an_invalid_xr_profile_name_is_refused(make_inventory):
    body = {"link_monitor": {"frame": {"window": "1s", "low": 1, "high": 5}}}
    inv = make_inventory(host("cisco_xr", {"Gi0/0/0/0": {}}, policy="xr real"),
                         policies={"p.yaml": {"xr real": body}})
    refused(run_cli("render", "-i", str(inv)), "host r1: policy:", "'OAMKIT-XR REAL'",
            "not a valid profile name")
    # Huawei keeps settings on the interface (no profile): the same policy name is fine there
    inv = make_inventory(host("huawei_vrp", {"GigabitEthernet0/1/0": {}}, policy="xr real"),
                         policies={"p.yaml": {"xr real": {"link_monitor": {"frame": {"window": "1s", "low": 1}}}}})
    assert run_cli("render", "-i", str(inv)).returncode == 0


def test_a_huge_description_is_refused_not_sent(make_inventory):
    inv = make_inventory(host(interfaces={"GigabitEthernet0/1": {"description": "x" * 2_000_000}}))
    refused(run_cli("render", "-i", str(inv)), "host r1:", "value is 2000000 characters long")
    inv = make_inventory(host(interfaces={"GigabitEthernet0/1": {"description": "y" * 241}}))
    refused(run_cli("render", "-i", str(inv)), "interface GigabitEthernet0/1:",
            "description: longer than 240 characters on Cisco IOS/IOS-XE")


def test_yaml_aliases_nested_deep_are_read_once_not_walked_exponentially(make_inventory):
    # nine aliases ten deep: a 770-byte hosts.yaml that took 9**10 walks (every command hung)
    lines = ["r1:", "  hostname: 127.0.0.1", "  platform: cisco_ios", "  data:", "    junk:",
             '      a0: &a0 ["x"]']
    lines += [f"      a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 11)]
    lines += ["    oam: {policy: p, interfaces: {GigabitEthernet0/1: {}}}", ""]
    inv = make_inventory("\n".join(lines))
    result = run_cli("render", "-i", str(inv))   # its own 60 s timeout: the walk took hours
    assert result.returncode == 0, result.stderr


def test_a_host_name_cannot_escape_the_render_folder(make_inventory, tmp_path):
    inv = make_inventory(host(name="../../escaped-host"))
    out = tmp_path / "deep" / "out"
    refused(run_cli("render", "-i", str(inv), "--out", str(out)),
            "hosts.yaml: host name: host name must be a plain name", "(got '../../escaped-host')")
    assert not list(tmp_path.rglob("escaped-host*"))


def test_a_link_planted_in_the_out_folder_is_refused_not_written_through(make_inventory, tmp_path):
    # it was resolved to judge the path: "would leave the folder", a ValueError traceback,
    # after the other hosts' files had been written; then replaced by the file (a link the
    # operator made, e.g. to /dev/stdout, replaced too)
    inv = make_inventory({**host(), **host(name="r2")})
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    (out / "r2.cfg").symlink_to(victim)
    refused(run_cli("render", "-i", str(inv), "--out", str(out)),
            "host r2: --out: the rendered file cannot be written there: is a symbolic link")
    assert victim.read_text() == "not yours\n" and (out / "r2.cfg").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["r2.cfg"]   # nothing written, no temporary file


def test_control_characters_in_a_policy_file_are_refused(make_inventory):
    inv = make_inventory(host(), policies={"p.yaml": {"p": {"description": "ok\x1b[2J",
                                                            "link_monitor": {"frame": {"low": 1}}}}})
    refused(run_cli("render", "-i", str(inv)), "p.yaml: p.description: value contains a control character")


def test_a_host_defined_twice_is_refused_with_both_lines(make_inventory):
    text = ("r1:\n  hostname: 10.0.0.1\n  platform: cisco_ios\n"
            "r2:\n  hostname: 10.0.0.2\n  platform: cisco_ios\n"
            "r1:\n  hostname: 10.0.0.3\n  platform: cisco_ios\n")
    inv = make_inventory(text)
    refused(run_cli("render", "-i", str(inv)), "hosts.yaml: not valid YAML at line 7",
            "duplicate key 'r1' (lines 1 and 7)")


def test_a_policy_defined_twice_in_one_file_is_refused(make_inventory):
    inv = make_inventory(host(), policies={"p.yaml": "p:\n  mode: active\np:\n  mode: passive\n"})
    refused(run_cli("render", "-i", str(inv)), "p.yaml: not valid YAML at line 3",
            "duplicate key 'p' (lines 1 and 3)")


@pytest.mark.parametrize("body, field", [
    ({"link_monitor": {"frame": {"window": "1s", "low": True}}}, "link_monitor.frame.low"),
    ({"link_monitor": {"frame_period": {"window": True, "low": 1}}}, "link_monitor.frame_period.window"),
    ({"pdu_max_rate": True}, "pdu_max_rate"),
])
def test_a_yaml_boolean_is_not_a_number(make_inventory, body, field):
    inv = make_inventory(host(), policies={"p.yaml": {"p": body}})
    refused(run_cli("render", "-i", str(inv)), f"policy p: {field}:", "(got True)")


def test_passwords_under_connection_options_are_refused(make_inventory):
    hosts = host()
    hosts["r1"]["connection_options"] = {"netmiko": {"password": "hunter2",
                                                     "extras": {"secret": "en4ble"}}}
    text = refused(run_cli("render", "-i", str(make_inventory(hosts))),
                   "host r1: connection_options.netmiko.password: passwords may not be kept",
                   "connection_options.netmiko.extras.secret")
    assert "hunter2" not in text and "en4ble" not in text


def test_render_refuses_a_missing_template_folder_and_a_missing_netconf_form(make_inventory,
                                                                             tmp_path):
    inv = make_inventory(host())
    refused(run_cli("render", "-i", str(inv), "--templates", str(tmp_path / "nonexistent")),
            "--templates: template folder not found")
    inv = make_inventory(host("huawei_vrp", {"GigabitEthernet0/1/0": {}}))
    refused(run_cli("render", "-i", str(inv), "--format", "netconf"),
            "host r1: --format: Huawei VRP has no NETCONF form")


def test_user_templates_are_sandboxed(make_inventory, tmp_path):
    folder = tmp_path / "tpl" / "cisco_ios"
    folder.mkdir(parents=True)
    (folder / "interface.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    refused(run_cli("render", "-i", str(make_inventory(host())), "--templates", str(tmp_path / "tpl")),
            "host r1: template cisco_ios/interface.j2 failed", "unsafe")


# ---------------------------------------------------------------------------- usage errors
def _commands(group=None, prefix=()):
    """Every command path of the CLI, sub-apps included (`maintenance add`, `lab wan up`)."""
    import typer.main

    group = group or typer.main.get_command(app)
    # list_commands/get_command, not `.commands`: the top-level group loads modules on demand
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


COMMANDS = sorted(_commands())


def test_the_cli_has_the_commands_we_test():
    assert {("push",), ("diff",), ("render",), ("maintenance", "add"), ("lab", "up"),
            ("drtest",), ("run",), ("changes",), ("rollback",)} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_a_usage_error_on_every_command(command):
    refused(run_cli(*command, "--no-such-option"), "No such option: --no-such-option")


@pytest.mark.parametrize("args, expected", [
    (("push", "--nosuch"), "No such option: --nosuch"),
    (("diff", "--limit"), "Option '--limit' requires an argument"),
    (("push", "--workers", "0"), "'--workers'"),
    (("push", "--timeout", "0"), "'--timeout'"),
    (("diff", "--timeout", "-5"), "'--timeout'"),
    (("collect", "--timeout", "0"), "'--timeout'"),
    (("probe", "--timeout", "0", "127.0.0.1"), "'--timeout'"),
    (("probe", "--count", "0", "127.0.0.1"), "'--count'"),
    (("push", "--confirm-timeout", "5"), "'--confirm-timeout'"),
    (("maintenance", "add", "ios-1", "--until", "2h"), "Missing option '--reason'"),
    (("check", "--workers", "many"), "'--workers'"),
    (("nosuchcommand",), "No such command 'nosuchcommand'"),
])
def test_usage_errors_are_short_and_exit_2(args, expected):
    text = refused(run_cli(*args), expected)
    assert len(text) < 400, text


def test_values_are_shown_as_typed_never_read_as_rich_markup(make_inventory, tmp_path):
    # Rich reads `[...]` as markup: "[/b]" in a reason crashed `maintenance add` after the
    # window was saved (and every later `maintenance list` and table `check`); "[chg-4711]"
    # vanished from every table without a word.
    inv = make_inventory(host(name="ios-1"))
    env = {"OAMKIT_STATE_DIR": str(tmp_path / "state")}
    reason = "[/b] fiber cut [chg-4711] [link=file:///etc/passwd]x"
    added = run_cli("maintenance", "add", "ios-1", "-i", str(inv), "--until", "2h", "--reason", reason, env=env)
    assert added.returncode == 0 and "Traceback" not in added.stderr, added.stdout + added.stderr
    assert f"({reason})" in added.stdout
    listed = run_cli("maintenance", "list", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert reason in listed.stdout


def test_inventory_show_into_a_pipe_is_the_yaml_as_is(make_inventory):
    # rich's Syntax padded every line to the pipe console's 4096 columns
    shown = run_cli("inventory", "show", "r1", "-i", str(make_inventory(host())))
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout)["platform"] == "cisco_ios"
    assert all(line == line.rstrip() for line in shown.stdout.splitlines())
