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
