"""UDP probes to a closed port are answered by the target's ICMP port-unreachable, which the
target rate-limits (Linux: burst 6, then 1/s): the loss they show is that limit, and `oamkit
probe` says so instead of leaving an "outage" unexplained (review of the DR tests, defect 9)."""
import json
import subprocess
import sys

import pytest

from tests.dr.conftest import needs_root

pytestmark = [pytest.mark.wanlab, needs_root()]


def probe(lab, target, *args):
    return subprocess.run([sys.executable, "-m", "oamkit.cli", "probe", target, "--netns", lab.branch_ns,
                           "-c", "30", "--interval", "10ms", "--proto", "udp:33434", *args],
                          capture_output=True, text=True, timeout=60)


def test_udp_to_a_closed_port_names_the_targets_icmp_error_rate_limit(healthy_lab):
    done = probe(healthy_lab, "10.100.2.10", "--json")
    assert done.returncode == 0, done.stderr
    t = json.loads(done.stdout)["targets"][0]
    assert 0 < t["answered"] < t["sent"] == 30 and t["answer_kinds"] == [5], t     # port-unreachable, policed
    assert "the target rate-limits ICMP errors" in t["hint"] and "not an outage" in t["hint"]
    text = probe(healthy_lab, "10.100.3.10")   # another site: its own ICMP error bucket, not drained
    assert text.returncode == 0, text.stderr
    assert "10.100.3.10 udp:33434: answered by ICMP port-unreachable (a closed port)" in text.stdout, text.stdout
