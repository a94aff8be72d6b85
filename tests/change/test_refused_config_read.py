"""A device that refuses the configuration read (AAA command authorization denying the user,
as `reject_commands` plays it) answers with its error text: taken for the configuration, that
is an empty one, and diff/push would resend everything. The read fails the host instead,
naming the command, and nothing is sent."""
from __future__ import annotations

import json

from tests.change.test_change_engine import CONFIG_WORDS, commands_received, running_text
from tests.checks.test_refused_reads_lab import CONFIG_READS as READS
from tests.collect.test_collect_lab import env, oamkit  # noqa: F401 - the env fixture


def hosts_of(result) -> dict:
    assert result.stdout, result.stderr
    return {h["host"]: h for h in json.loads(result.stdout)["hosts"]}


def refuse_config_reads(lab):
    for name, (pattern, _) in READS.items():
        lab.set_faults(name, reject_commands=[pattern])


def test_diff_and_push_fail_the_host_and_send_nothing(lab, lab_inventory, env):  # noqa: F811
    before = {name: running_text(lab.device(name)) for name in READS}
    refuse_config_reads(lab)
    diff = oamkit(env, "diff", "-i", str(lab_inventory), "--json")
    assert diff.returncode != 0, diff.stdout
    for name, host in hosts_of(diff).items():
        assert host["outcome"] == "error", host
        assert not host.get("commands"), host
        assert f"{name}: device rejected {READS[name][1]!r}" in host["error"], host

    push = oamkit(env, "push", "-i", str(lab_inventory), "--json", "--confirm-timeout", "600")
    assert push.returncode != 0, push.stdout
    for name, host in hosts_of(push).items():
        assert host["outcome"] == "error", host
        assert READS[name][1] in host["error"], host
        assert running_text(lab.device(name)) == before[name]
        assert not [c for c in commands_received(lab.device(name)) if CONFIG_WORDS.match(c)], name


def test_rollback_refuses_to_act_on_a_refused_read(lab, lab_inventory, env):  # noqa: F811
    push = oamkit(env, "push", "-i", str(lab_inventory), "--json", "--confirm-timeout", "600")
    assert push.returncode == 0, push.stdout + push.stderr
    change_id = json.loads(push.stdout)["change_id"]
    changed = {name: running_text(lab.device(name)) for name in READS}
    refuse_config_reads(lab)
    seen = {name: len(commands_received(lab.device(name))) for name in READS}
    rollback = oamkit(env, "rollback", "--change", change_id, "-i", str(lab_inventory), "--json")
    assert rollback.returncode != 0, rollback.stdout
    for name, host in hosts_of(rollback).items():
        assert host["outcome"] == "error", host
        assert READS[name][1] in host["error"], host
        assert running_text(lab.device(name)) == changed[name]
        sent = commands_received(lab.device(name))[seen[name]:]
        assert not [c for c in sent if CONFIG_WORDS.match(c)], (name, sent)
