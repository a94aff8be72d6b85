"""`oamkit run PLAYBOOK.yaml` against the lab over real SSH: validation before anything is sent,
a canary push then check then assert, --check sends no configuration, a failing step stops the
play while `always:` still runs, --extra-vars."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "playbooks"
CONFIG_WORDS = re.compile(r"^(configure|conf t|system-view|set (?!cli )|delete |interface |ethernet oam|"
                          r"efm |commit)")


@pytest.fixture
def env(tmp_path, lab):
    return {**os.environ, "COLUMNS": "200", "OAMKIT_STATE_DIR": str(tmp_path / "state"),
            "OAMKIT_LAB_PASSWORD": lab.password}


def oamkit(env, *args, timeout=240):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def write(tmp_path, text: str, name="play.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def run_json(env, playbook, inventory, *extra):
    result = oamkit(env, "run", str(playbook), "-i", str(inventory), "--json", *extra)
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout)


def received(device) -> list[str]:
    return [e.text.strip() for e in device.transcript if e.direction == "in" and e.channel == "cli"]


def config_sent(lab) -> dict[str, list[str]]:
    return {name: [c for c in received(d) if CONFIG_WORDS.match(c)] for name, d in lab.devices.items()}


def test_bad_playbook_names_file_line_and_key_exits_2_and_contacts_nothing(lab, lab_inventory, env,
                                                                           tmp_path):
    play = write(tmp_path, """
        name: typos
        vars: {n: 1}
        steps:
          - diff: {}
          - name: a typo'd option
            push: {canery: 1}
          - pusj: {}
          - diff: {}
            filter: ["platform"]
          - wait: "{{ not_defined }}"
          - assert: {that: ["result.x =="]}
        """)
    code, report = run_json(env, play, lab_inventory)
    assert code == 2
    found = {p["field"]: p for p in report["problems"]}
    assert found["steps[1].push.canery"]["file"] == f"{play}:6"
    assert "canary" in found["steps[1].push.canery"]["message"]      # says what is allowed
    assert found["steps[2].pusj"]["file"] == f"{play}:7"
    assert "unknown step type" in found["steps[2].pusj"]["message"]
    assert found["steps[3].filter"]["file"] == f"{play}:9"
    assert found["steps[4].wait"]["file"] == f"{play}:10"
    assert "not_defined" in found["steps[4].wait"]["message"]
    assert found["steps[5].assert.that"]["file"] == f"{play}:11"
    assert all(not d.transcript for d in lab.devices.values()), "nothing may be contacted"


def test_unknown_host_and_unmatched_filter_are_refused_before_the_first_step(lab, lab_inventory,
                                                                            env, tmp_path):
    play = write(tmp_path, """
        steps:
          - diff: {}
          - name: second
            push: {}
            limit: ios-1,ios-99
          - check: {}
            filter: [platform=cisco_nxos]
        """)
    result = oamkit(env, "run", str(play), "-i", str(lab_inventory))
    assert result.returncode == 2
    assert f"{play}:5: steps[1].--limit: --limit names unknown host(s): ios-99" in result.stderr
    assert f"{play}:6: steps[2].filter/limit: no host matches the selection" in result.stderr
    assert all(not d.transcript for d in lab.devices.values())


def test_canary_push_then_check_then_assert(lab, lab_inventory, env, tmp_path):
    play = write(tmp_path, """
        name: rollout
        vars: {canary: 1, confirm: 120}
        steps:
          - name: canary first
            push: {canary: "{{ canary }}", confirm_timeout: "{{ confirm }}", max_failures: 1}
            register: rollout
          - collect: {}
          - wait: 1s
          - check: {}
          - name: compliant
            assert:
              that:
                - "results.rollout.changed | length == 4"
                - "result.status == 'OK'"
                - "canary == 2"
        """)
    # the lab runs device time 100x fast: 600 s of confirm window is 6 s of real time
    code, report = run_json(env, play, lab_inventory, "-e", "confirm=600", "-e", "canary=2")
    assert code == 0, json.dumps(report, indent=1)[-3000:]
    push, _, _, check, assertion = report["steps"]
    assert push["result"]["outcomes"] == {"changed": 4} and push["result"]["stopped"] is None
    assert check["result"]["status"] == "OK"
    assert assertion["status"] == "ok"
    assert "ethernet oam link-monitor receive-crc threshold low 3000" in lab.device("ios-1").running.to_text()
    history = Path(env["OAMKIT_STATE_DIR"]) / "changes.jsonl"
    assert json.loads(history.read_text().splitlines()[-1])["hosts"] == {
        n: "changed" for n in ("ios-1", "xr-1", "junos-1", "vrp-1")}


def test_a_failing_canary_stops_the_rollout_and_the_play(lab, lab_inventory, env, tmp_path):
    lab.set_faults("ios-1", reject_commands=[r"receive-crc threshold high"])
    play = write(tmp_path, """
        steps:
          - push: {canary: 1, confirm_timeout: 600}
          - check: {}
        """)
    code, report = run_json(env, play, lab_inventory)
    assert code == 1
    push, check = report["steps"]
    assert push["status"] == "failed"
    assert push["result"]["outcomes"] == {"failed-rolled-back": 1, "not-attempted": 3}
    assert check["status"] == "skipped"
    assert config_sent(lab)["xr-1"] == []     # only the canary was touched


def test_check_mode_sends_no_configuration(lab, lab_inventory, env):
    before = {n: d.running.to_text() for n, d in lab.devices.items()}
    code, report = run_json(env, EXAMPLES / "receive-crc-rollout.yaml", lab_inventory, "--check")
    statuses = {s["name"]: s for s in report["steps"]}
    push = statuses["canary, then the rest"]
    assert push["result"]["check_mode"] and push["result"]["changed"] == ["ios-1"]
    assert push["result"]["hosts"][0]["commands"], "the dry run shows what would be sent"
    assert statuses["wait"]["summary"].startswith("check mode")
    assert all(received(d) for n, d in lab.devices.items() if n == "ios-1"), "it read ios-1"
    assert config_sent(lab) == {n: [] for n in lab.devices}
    assert {n: d.running.to_text() for n, d in lab.devices.items()} == before
    assert not (Path(env["OAMKIT_STATE_DIR"]) / "changes.jsonl").exists()
    assert not (Path(env["OAMKIT_STATE_DIR"]) / "history.sqlite").exists()
    # nothing was pushed, so the compliance check finds the drift and the play says so
    assert code == 1 and statuses["compliance right after the change"]["result"]["status"] == "CRITICAL"


def test_failing_step_stops_the_play_and_always_steps_still_run(lab, lab_inventory, env, tmp_path):
    play = write(tmp_path, """
        vars: {expected: 5}
        steps:
          - name: hold alerts
            maintenance: {state: "on", until: 2h, reason: playbook test}
            filter: [platform=cisco_ios]
          - name: tolerated
            assert: {that: ["false"]}
            ignore_errors: true
          - name: must hold
            assert:
              that: ["expected == 4"]
              fail_msg: "expected is not 4"
          - name: never reached
            diff: {}
        always:
          - name: release alerts
            maintenance: {state: "off"}
            filter: [platform=cisco_ios]
          - wait: 0s
        """)
    # the NOC's own alert hold on ios-1 outlives the play's window
    noc = oamkit(env, "maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until", "1d",
                 "--reason", "NOC optic replacement", "--json")
    noc_id = json.loads(noc.stdout)["id"]
    code, report = run_json(env, play, lab_inventory)
    assert code == 1
    assert [(s["name"], s["status"]) for s in report["steps"]] == [
        ("hold alerts", "ok"), ("tolerated", "failed-ignored"), ("must hold", "failed"),
        ("never reached", "skipped"), ("release alerts", "ok"), ("wait", "ok")]
    assert report["steps"][2]["summary"] == "expected is not 4"
    assert report["steps"][0]["result"]["hosts"] == ["ios-1"]
    assert report["steps"][4]["result"]["windows"] == [report["steps"][0]["result"]["window"]["id"]]
    listed = oamkit(env, "maintenance", "list", "--json")   # `off` took ios-1 out of every window
    assert [(w["id"], w["hosts"]) for w in json.loads(listed.stdout)] == [(noc_id, ["ios-1"])]
    assert all(not d.transcript for d in lab.devices.values()), "the diff never ran"
    oamkit(env, "maintenance", "remove", noc_id)

    # the same play with the condition met by --extra-vars: every step runs
    code, report = run_json(env, play, lab_inventory, "-e", "expected=4")
    assert code == 0, report
    assert report["steps"][3]["status"] == "ok" and report["steps"][3]["type"] == "diff"


def test_extra_vars_file_and_json(lab_inventory, env, tmp_path):
    play = write(tmp_path, """
        vars: {a: 1, b: 1}
        steps:
          - assert: {that: ["a == 2", "b == 3", "c == 'x'"]}
        """)
    (tmp_path / "vars.yaml").write_text("b: 3\n")
    code, report = run_json(env, play, lab_inventory, "-e", "a=2", "-e", f"@{tmp_path / 'vars.yaml'}",
                            "-e", '{"c": "x"}')
    assert code == 0, report
    code, report = run_json(env, play, lab_inventory, "-e", "a=2", "-e", '{"c": "x"}')
    assert code == 1
    assert report["steps"][0]["result"]["assertions"][1] == {"that": "b == 3", "ok": False}
    # a variable nobody sets is a load-time error (a typo), before any step runs
    unset = oamkit(env, "run", str(play), "-i", str(lab_inventory), "-e", "a=2")
    assert unset.returncode == 2 and "names 'c': not defined" in unset.stderr, unset.stderr


@pytest.mark.parametrize("name", ["receive-crc-rollout", "weekly-compliance", "annual-dr-test"])
def test_every_example_playbook_validates_against_the_lab_inventory(lab_inventory, name, tmp_path):
    from oamkit import playbook
    from oamkit.errors import InputError

    extra = {}
    if name == "annual-dr-test":
        # its stock plan probes from the WAN lab's namespace (`oamkit lab wan up`): without
        # it, the drtest step's bounds are refused at load, before the maintenance step runs
        with pytest.raises(InputError) as refused:
            playbook.load(EXAMPLES / f"{name}.yaml", {}, lab_inventory)
        assert "network namespace 'owan-branch' does not exist" in str(refused.value)
        loopback = {"name": "loopback", "interval": "10ms", "sites": [{"name": "a", "target": "127.0.0.1"}],
                    "trigger": {"type": "command", "command": ["true"]},
                    "restore": {"type": "command", "command": ["true"]}}
        (tmp_path / "plan.yaml").write_text(json.dumps(loopback))
        extra = {"plan": str(tmp_path / "plan.yaml")}
    play = playbook.load(EXAMPLES / f"{name}.yaml", extra, lab_inventory)
    assert play.book.steps
    assert all(play.hosts[id(s)] for s in play.book.steps + play.book.always
               if s.type in playbook.HOST_STEPS)


def test_weekly_compliance_example_after_a_push(lab, lab_inventory, env):
    pushed = oamkit(env, "push", "-i", str(lab_inventory), "--confirm-timeout", "600")
    assert pushed.returncode == 0, pushed.stderr
    lab.inject_errors("vrp-1", "GigabitEthernet0/1/1", burst_crc=5)   # a new link event: WARNING
    sent_by_the_push = config_sent(lab)
    code, report = run_json(env, EXAMPLES / "weekly-compliance.yaml", lab_inventory, "-e", "settle=1s")
    steps = {s["name"]: s for s in report["steps"]}
    assert code == 0, report
    assert steps["wait"]["result"]["seconds"] == 1.0
    assert steps["compliance against the intent"]["status"] in ("ok", "failed-ignored")
    assert steps["nothing critical"]["status"] == "ok"
    assert config_sent(lab) == sent_by_the_push, "a compliance playbook only reads"


def test_the_same_check_through_the_cli_and_a_playbook_gives_the_same_findings(lab, lab_inventory,
                                                                                env, tmp_path):
    """Both are thin callers of `oamkit.ops.check`: same hosts (a Junos one read over
    NETCONF), same rules, same findings. Drift on one host, a down session on another, and a
    NETCONF host make the findings worth comparing."""
    import yaml

    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["junos-1"]["data"]["transport"] = "netconf"
    hosts_file.write_text(yaml.safe_dump(hosts))
    assert oamkit(env, "push", "-i", str(lab_inventory), "--limit", "ios-1,xr-1").returncode == 0
    lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/1", "down")
    findings = {}
    for how in ("cli", "playbook"):
        db = tmp_path / f"{how}.sqlite"
        if how == "cli":
            result = oamkit(env, "check", "-i", str(lab_inventory), "--db", str(db), "--json")
            assert result.returncode == 1, result.stderr[-2000:]
            report = json.loads(result.stdout)
        else:
            play = write(tmp_path, f"""
                name: same check
                steps:
                  - check: {{db: {db}}}
                    register: found
                    ignore_errors: true
                """)
            _, play_result = run_json(env, play, lab_inventory)
            report = play_result["steps"][0]["result"]
        findings[how] = sorted(((h["host"], r["interface"], r["rule"], r["status"])
                                for h in report["hosts"] for r in h["results"]),
                               key=lambda f: tuple(x or "" for x in f))
    assert findings["cli"] == findings["playbook"]
    assert ("junos-1", None, "config_drift", "CRITICAL") in findings["cli"]   # read over NETCONF
    assert ("xr-1", "GigabitEthernet0/0/0/1", "oam_session", "CRITICAL") in findings["cli"]
    assert any(h == "vrp-1" and rule == "config_drift" and status == "CRITICAL"
               for h, _, rule, status in findings["cli"])


@pytest.mark.parametrize("output", ["json", "terminal"])
def test_ignore_errors_never_hides_a_host_that_needs_attention(lab, lab_inventory, env, tmp_path, output):
    # ios-1 drops the session mid-change and refuses every later login: oamkit cannot put it
    # back, so the host is left for its revert timer (failed-needs-attention, exit 3). (A host
    # too slow to reach its commit before the deadline is no such host any more: nothing was
    # committed, running is as it was: `error`, exit 1, which ignore_errors may hide.)
    lab.set_faults("ios-1", drop_after_commands=30, refuse_auth_after_drop=True)
    play = write(tmp_path, """
        steps:
          - push: {confirm_timeout: 600, timeout: 4}
            limit: "{{ host }}"
            ignore_errors: true
          - assert: {that: ["true"]}
        """)
    if output == "terminal":
        text = oamkit(env, "run", str(play), "-i", str(lab_inventory), "-e", "host=ios-1")
        assert text.returncode == 3 and "needs attention" in text.stderr, text.stderr
        return
    code, report = run_json(env, play, lab_inventory, "-e", "host=ios-1")
    push, assertion = report["steps"]
    assert push["status"] == "failed-ignored" and push["exit_code"] == 3, push
    assert push["result"]["outcomes"] == {"failed-needs-attention": 1}
    assert assertion["status"] == "ok"                  # the play went on, as asked
    assert code == 3 and report["exit_code"] == 3 and report["ok"] is False
    assert report["needs_attention"] == [push["name"]]  # and it says which step left a host so


@pytest.mark.parametrize("options, field", [
    ("push: {confirm_timeout: 86401}", "steps[1].push.confirm_timeout"),
    ("push: {timeout: 86401}", "steps[1].push.timeout"),
    ("check: {timeout: 86401}", "steps[1].check.timeout"),
    # what `maintenance add` refuses, found at load rather than when the step runs
    ('maintenance: {state: "on", until: 2h, reason: "held\\e[2J"}', "steps[1].maintenance.reason"),
    ('maintenance: {state: "on", until: 2h, reason: "ok"}', "steps[1].maintenance.reason"),
    ('maintenance: {state: "on", until: 400d, reason: too long a hold}', "steps[1].maintenance.until"),
])
def test_step_options_beyond_the_clis_bounds_are_refused_at_load(lab, lab_inventory, env, tmp_path,
                                                                 options, field):
    play = write(tmp_path, f"""
        steps:
          - maintenance: {{state: "on", until: 2h, reason: must not open}}
          - {options}
        """)
    code, report = run_json(env, play, lab_inventory)
    assert code == 2, report
    assert [p["field"] for p in report["problems"]] == [field]
    assert all(not d.transcript for d in lab.devices.values())
    listed = oamkit(env, "maintenance", "list", "--json")
    assert json.loads(listed.stdout) == [], "nothing ran: the first step did not open a window"


def test_sigterm_runs_the_always_steps_like_ctrl_c(lab_inventory, env, tmp_path):
    """cron and systemd stop a play with SIGTERM: the cleanup must still run."""
    import signal
    import time

    play = write(tmp_path, """
        steps:
          - maintenance: {state: "on", until: 2h, reason: sigterm test}
            filter: [platform=cisco_ios]
          - wait: 30s
        always:
          - maintenance: {state: "off"}
            filter: [platform=cisco_ios]
        """)
    progress = tmp_path / "progress.txt"
    with progress.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "oamkit.cli", "run", str(play), "-i",
                                 str(lab_inventory)], stdout=subprocess.PIPE, stderr=stderr,
                                text=True, env=env)
        try:
            deadline = time.monotonic() + 60
            while "2/3 step: wait" not in progress.read_text() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "2/3 step: wait" in progress.read_text(), progress.read_text()
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 130, (out, progress.read_text())
    assert "SIGTERM" in progress.read_text()
    listed = oamkit(env, "maintenance", "list", "--json")
    assert json.loads(listed.stdout) == [], "the always: step closed the window"


@pytest.mark.parametrize("where", ["playbook", "extra-vars"])
def test_a_file_that_is_not_utf8_is_exit_2_naming_it(lab_inventory, env, tmp_path, where):
    latin1 = tmp_path / "latin1.yaml"
    good = write(tmp_path, "steps:\n  - wait: 0s\n", name="good.yaml")
    if where == "playbook":
        latin1.write_bytes(b'steps:\n  - wait: 0s\n    name: "\xe9"\n')
        result = oamkit(env, "run", str(latin1), "-i", str(lab_inventory))
    else:
        latin1.write_bytes(b'who: "\xe9"\n')
        result = oamkit(env, "run", str(good), "-i", str(lab_inventory), "-e", f"@{latin1}")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(latin1) in result.stderr and "cannot read: 'utf-8' codec" in result.stderr, result.stderr


def test_yaml_merge_keys_may_be_overridden_but_duplicates_are_refused(lab_inventory, env, tmp_path):
    play = write(tmp_path, """
        steps:
          - &w {wait: 0s, register: first}
          - <<: *w
            register: second
          - assert:
              that: ["results.first.seconds == 0", "results.second.seconds == 0",
                     "results.get('nobody') is none"]
        """)
    code, report = run_json(env, play, lab_inventory)
    assert code == 0, report
    assert [s["status"] for s in report["steps"]] == ["ok", "ok", "ok"]
    twice = write(tmp_path, """
        steps:
          - wait: 0s
            register: a
            register: b
        """, name="twice.yaml")
    result = oamkit(env, "run", str(twice), "-i", str(lab_inventory))
    assert result.returncode == 2 and "duplicate key 'register'" in result.stderr, result.stderr


def test_vars_are_templated_in_order_and_a_typo_in_them_is_refused_at_load(lab_inventory, env,
                                                                            tmp_path):
    play = write(tmp_path, """
        vars:
          ticket: "CHG-{{ ticket_no }}"
          title: "{{ ticket }} receive-CRC"
          window: "{{ hours * 2 }}"
        steps:
          - assert:
              that: ["title == 'CHG-1 receive-CRC'", "window == 6", "false"]
              fail_msg: "{{ ticket }}: {{ results | length }} registered, {{ result }} before"
        """)
    code, report = run_json(env, play, lab_inventory, "-e", "ticket_no=1", "-e", "hours=3")
    assertion, = report["steps"]
    assert [a["ok"] for a in assertion["result"]["assertions"]] == [True, True, False], assertion
    assert assertion["summary"] == "CHG-1: 0 registered, {} before" and code == 1
    # -e wins over vars: a var given on the command line is taken as it is
    code, report = run_json(env, play, lab_inventory, "-e", "ticket_no=1", "-e", "hours=3",
                            "-e", "title=CHG-1 receive-CRC")
    assert report["steps"][0]["result"]["assertions"][0]["ok"], report
    typo = oamkit(env, "run", str(play), "-i", str(lab_inventory), "-e", "ticket_nr=1", "-e", "hours=3")
    assert typo.returncode == 2 and "vars.ticket: undefined variable" in typo.stderr, typo.stderr
    assert f"{play}:2" in typo.stderr
    bad_msg = write(tmp_path, """
        steps:
          - assert: {that: ["true"], fail_msg: "{{ resutl.exit_code }}"}
        """, name="bad_msg.yaml")
    typo = oamkit(env, "run", str(bad_msg), "-i", str(lab_inventory))
    assert typo.returncode == 2 and "'resutl'" in typo.stderr and "fail_msg" in typo.stderr, typo.stderr


@pytest.mark.parametrize("always, said", [("", False), ("always:\n  - wait: 0s\n", True)])
def test_a_stopped_play_says_cleanup_steps_ran_only_when_it_has_some(lab_inventory, env, tmp_path,
                                                                      always, said):
    play = write(tmp_path, "steps:\n  - assert: {that: [\"false\"]}\n" + always)
    result = oamkit(env, "run", str(play), "-i", str(lab_inventory))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Play stopped" in result.stderr
    assert ("cleanup steps ran" in result.stderr) is said, result.stderr


def test_a_push_step_refuses_a_host_left_needing_attention_unless_over_unfinished(lab, lab_inventory, env,
                                                                                  tmp_path):
    # A push step went over ios-1 left failed-needs-attention: it confirmed the half change the
    # device's revert timer was about to undo, and reported it changed
    lab.set_faults("ios-1", drop_after_commands=20, refuse_auth_after_drop=True)
    first = oamkit(env, "push", "-i", str(lab_inventory), "--limit", "ios-1", "--confirm-timeout", "3600")
    assert first.returncode == 3, first.stdout + first.stderr
    lab.set_faults("ios-1", drop_after_commands=None, refuse_auth_after_drop=False, refuse_auth=False)
    play = write(tmp_path, """
        steps:
          - push: {over_unfinished: "{{ over }}"}
            limit: ios-1
        """)
    code, report = run_json(env, play, lab_inventory, "-e", "over=false")
    host, = report["steps"][0]["result"]["hosts"]
    assert code == 1 and host["outcome"] == "error" and "is unfinished" in host["error"], host
    assert lab.device("ios-1").confirm_pending, "the device's own revert must still be pending"
    code, report = run_json(env, play, lab_inventory, "-e", "over=true")
    host, = report["steps"][0]["result"]["hosts"]
    assert code == 0 and host["outcome"] == "changed", host
    assert not lab.device("ios-1").confirm_pending


@pytest.mark.parametrize("interval,extra,value", [
    ("10", [], 10),                       # YAML reads a number
    ('"0.5"', [], "0.5"),                 # a string of digits is no unit either
    ('"{{ iv }}"', ["-e", "iv=10"], 10),    # nor what a variable makes of it
], ids=["number", "digits", "variable"])
def test_a_probe_step_refuses_an_interval_without_a_unit_as_the_cli_does(tmp_path, interval, extra, value):
    """`interval: 10` written for 10 ms probed every 10 s: parse_interval read a bare number as
    seconds, while `oamkit probe --interval 10` is refused. Refused at load now, exit 2, naming
    the file:line, the step's key and the value, and saying which units to write."""
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state")}
    play = write(tmp_path, f"""
        steps:
          - probe: {{targets: [127.0.0.1], count: 3, interval: {interval}}}
        """)
    result = oamkit(env, "run", str(play), "--json", *extra)
    assert result.returncode == 2, result.stdout + result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert [(p["file"], p["field"], p["value"]) for p in problems] == [
        (f"{play}:2", "steps[0].probe.interval", value)], problems
    n = f"{float(value):g}"
    assert problems[0]["message"].startswith(f"give the interval a unit, e.g. '{n}ms' or '{n}s'"), problems

    with_unit = write(tmp_path, """
        steps:
          - probe: {targets: [127.0.0.1], count: 3, interval: 10ms}
        """, name="ok.yaml")
    ok = oamkit(env, "run", str(with_unit), "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_a_check_steps_netconf_junos_host_with_a_bad_policy_is_refused_before_the_first_step(
        lab, lab_inventory, env, tmp_path):
    # check reads a Junos host on NETCONF now: its policy must be planned at load like an SSH
    # host's, or a push step before the check ran and the playbook failed half-way
    import yaml

    hosts_file = lab_inventory / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text())
    hosts["junos-1"]["data"]["transport"] = "netconf"
    hosts["junos-1"]["data"]["oam"]["policy"] = "lab-ios"   # receive-CRC: not on Junos
    hosts_file.write_text(yaml.safe_dump(hosts))
    play = write(tmp_path, """
        steps:
          - push: {}
            limit: ios-1
          - check: {}
            limit: junos-1
        """)
    result = oamkit(env, "run", str(play), "-i", str(lab_inventory))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "junos-1" in result.stderr and "receive" in result.stderr.lower(), result.stderr
    assert all(not d.transcript for d in lab.devices.values())
