"""The guard refuses before any socket is opened (no root needed)."""
import pytest

from oamkit.probe.engine import ProbeEngine, Slot
from oamkit.probe.proto import ProbeProto, parse_interval
from oamkit.probe.safety import SafetyError, check_probe_request


def test_non_lab_target_outside_a_lab_namespace_is_refused():
    with pytest.raises(SafetyError, match="outside an oamkit lab namespace"):
        check_probe_request(["192.0.2.1"], 0.01, 10, None)


def test_engine_refuses_before_opening_sockets():
    with pytest.raises(SafetyError):
        ProbeEngine([Slot("198.51.100.7", ProbeProto("icmp"))], 0.01, 10)


def test_unknown_namespace_is_refused():
    with pytest.raises(SafetyError):
        check_probe_request(["10.100.1.10"], 0.01, 10, "no-such-lab-branch")


def test_target_not_in_plan_is_refused():
    with pytest.raises(SafetyError, match="not in the plan"):
        check_probe_request(["127.0.0.1", "127.0.0.2"], 0.01, 10, None, allowed={"127.0.0.1"})


@pytest.mark.parametrize("targets,interval,rounds,match", [
    (["127.0.0.1"] * 1, 0.0001, 10, "interval below"),
    ([f"127.0.0.{i}" for i in range(1, 201)], 0.005, 10, "exceeds the maximum"),
    (["127.0.0.1"], 0.01, 10_000_000, "count"),
    (["127.0.0.1"], 1.0, 5000, "maximum"),
    (["localhost"], 0.01, 10, "not an IPv4"),
])
def test_bounds(targets, interval, rounds, match):
    with pytest.raises(SafetyError, match=match):
        check_probe_request(targets, interval, rounds, None)


def test_plan_rate_limit_is_enforced_below_the_ceiling():
    with pytest.raises(SafetyError, match="exceeds"):
        check_probe_request([f"127.0.0.{i}" for i in range(1, 11)], 0.001, 10, None, max_rate_pps=5000)


def test_loopback_is_allowed_outside_a_lab():
    assert check_probe_request(["127.0.0.1"], 0.01, 10, None) is None


def test_proto_and_interval_parsing():
    assert ProbeProto.parse("TCP:443") == ProbeProto("tcp", 443)
    assert str(ProbeProto.parse("udp:53")) == "udp:53"
    for bad in ("tcp", "sctp:1", "udp:0", "tcp:x"):
        with pytest.raises(ValueError):
            ProbeProto.parse(bad)
    assert parse_interval("10ms") == pytest.approx(0.01)
    assert parse_interval("2ms") == pytest.approx(0.002)
    assert parse_interval("0.5s") == pytest.approx(0.5)


@pytest.mark.parametrize("netns", ["../../tmp", "../../proc/1/ns/net", "a/b", "..", "-x"])
def test_a_namespace_given_as_a_path_is_refused_before_any_setns(netns):
    # /run/netns/../../tmp existed, was opened and setns()ed: a traceback (EINVAL), and a path
    # to another process's namespace would have switched into it
    with pytest.raises(SafetyError, match="not a network namespace name"):
        check_probe_request(["127.0.0.1"], 0.01, 1, netns)


def test_the_probe_command_refuses_a_namespace_path_with_exit_2():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "probe", "127.0.0.1", "--netns", "../../tmp",
                           "--count", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "not a network namespace name" in done.stderr and "Traceback" not in done.stderr, done.stderr


NON_UNICAST = {"255.255.255.255": "the broadcast address", "224.0.0.1": "a multicast address",
               "0.0.0.0": "the unspecified address", "0.1.2.3": "a 'this network' address", "240.0.0.1": "a reserved address"}


def test_the_probe_command_refuses_non_unicast_targets_naming_each_even_inside_the_allow_list():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "probe", *NON_UNICAST, "127.0.0.1",
                           "--allow", "0.0.0.0/0", "--count", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    for addr, why in NON_UNICAST.items():
        assert f"target {addr} is {why}" in done.stderr, done.stderr
    assert "127.0.0.1 is" not in done.stderr


def test_drtest_check_refuses_non_unicast_sites_naming_file_key_and_target(tmp_path):
    import subprocess
    import sys

    import yaml

    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "sites": [{"name": f"s{i}", "target": a} for i, a in enumerate(NON_UNICAST)]
        + [{"name": "ok", "target": "10.0.0.1"}],
        "trigger": {"type": "command", "command": "true"}, "restore": {"type": "command", "command": "true"}}))
    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(plan), "--check",
                           "--allow", "0.0.0.0/0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    for i, (addr, why) in enumerate(NON_UNICAST.items()):
        assert f"{plan}: sites.{i}.target: target {addr} is {why}" in done.stderr, done.stderr
    assert "sites.5" not in done.stderr


def test_the_probe_command_refuses_an_interval_without_a_unit():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "probe", "127.0.0.1", "--interval", "10",
                           "--count", "1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--interval: give the interval a unit, e.g. '10ms' or '10s'" in done.stderr and "(got '10')" in done.stderr


@pytest.mark.parametrize("key,value,field", [("interval", 10, "interval"), ("interval", "0.01", "interval"),
                                             ("bfd", {"interval": 100, "multiplier": 3}, "bfd.interval")])
def test_a_plan_refuses_an_interval_without_a_unit_from_drtest_and_a_playbook_step(tmp_path, key, value, field):
    """A plan's interval (and BFD's) was a bare number of seconds: `interval: 0.01` meant 10 ms,
    `interval: 1` meant 1 s where 1 ms was likely meant, `bfd: {interval: 100}` (the vendor's
    milliseconds) 100 s. Refused as `oamkit probe --interval 10` is, naming the file and key;
    the other durations keep their documented bare seconds."""
    import subprocess
    import sys

    import yaml

    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "sites": [{"name": "a", "target": "127.0.0.1"}], "convergence_bound": 3, key: value,
        "trigger": {"type": "command", "command": "true"}, "restore": {"type": "command", "command": "true"}}))
    n = f"{float(value if key == 'interval' else value['interval']):g}"
    want = f"{field}: give the interval a unit, e.g. '{n}ms' or '{n}s'"
    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "drtest", str(plan), "--check"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{plan}: {want}" in done.stderr, done.stderr

    play = tmp_path / "play.yaml"
    play.write_text(f"steps:\n  - drtest: {{plan: {plan}}}\n")
    done = subprocess.run([sys.executable, "-m", "oamkit.cli", "run", str(play)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{play}:2: steps[0].{field}: {plan}: give the interval a unit, e.g. '{n}ms'" in done.stderr, done.stderr
