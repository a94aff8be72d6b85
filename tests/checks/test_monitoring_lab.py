"""Monitoring against the lab over real SSH: --sample, maintenance holding findings, the Nagios
UNKNOWN line, Prometheus on stdout, and `oamkit exporter` scraped by a real Prometheus server."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.checks.test_check_lab import by_interface, check_json, env, oamkit  # noqa: F401

BAD_ITF, GOOD_ITF = "GigabitEthernet0/1", "GigabitEthernet0/2"


def test_sample_catches_a_burst_and_maintenance_holds_it(lab, lab_inventory, env):
    lab.inject_errors("ios-1", BAD_ITF, crc_per_second=200)
    # a first check has no history: --sample gives it a rate of its own
    code, report = check_json(env, lab_inventory, "--limit", "ios-1", "--sample", "1s")
    _, ios = by_interface(report, "ios-1")
    rate = ios[BAD_ITF]["error_rate"]
    assert rate["status"] == "CRITICAL" and rate["perfdata"]["crc_per_s"] > 50, rate
    assert rate["perfdata"]["interval_s"] >= 1.0
    assert ios[GOOD_ITF]["error_rate"]["status"] == "OK"
    assert code == 1

    added = oamkit(env, "maintenance", "add", "ios-1", "-i", str(lab_inventory), "--until", "2h",
                   "--reason", "optics swap CHG-42")
    assert added.returncode == 0, added.stderr
    before = len(lab.device("ios-1").transcript)
    code, report = check_json(env, lab_inventory, "--limit", "ios-1", "--sample", "1s")
    assert len(lab.device("ios-1").transcript) > before        # still read in maintenance
    assert code == 0 and report["status"] == "OK", report
    entry, ios = by_interface(report, "ios-1")
    assert entry["status"] == "MAINTENANCE"
    assert "optics swap CHG-42" in entry["results"][0]["message"]
    rate = ios[BAD_ITF]["error_rate"]
    assert (rate["status"], rate["held"]) == ("MAINTENANCE", "CRITICAL"), rate
    assert entry["counters"][BAD_ITF]["crc_errors"] > 0

    nagios = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format", "nagios")
    assert nagios.returncode == 0 and nagios.stdout.startswith("OAMKIT OK"), nagios.stdout
    assert "finding(s) held" in nagios.stdout.splitlines()[0]
    # the one host is in maintenance, not OK as well ("1 host(s) OK; 1 host(s) in maintenance")
    assert nagios.stdout.startswith("OAMKIT OK - 0 host(s) OK; 1 host(s) in maintenance"), nagios.stdout
    prom = oamkit(env, "check", "-i", str(lab_inventory), "--limit", "ios-1", "--format",
                  "prometheus", "--output", "-")
    assert prom.returncode == 0, prom.stderr   # every finding held: nothing alerts
    families = {f.name: f for f in text_string_to_metric_families(prom.stdout)}
    crc = {s.labels["interface"]: s.value for s in families["oamkit_interface_crc_errors"].samples}
    assert crc[BAD_ITF] > crc[GOOD_ITF] == 0
    assert [s.value for s in families["oamkit_host_maintenance"].samples] == [1]


def test_too_few_samples_name_the_real_reason(lab, lab_inventory, env, tmp_path):
    itf = "GigabitEthernet0/1/0"
    _, report = check_json(env, lab_inventory, "--limit", "vrp-1")     # the very first reading
    first = by_interface(report, "vrp-1")[1][itf]["error_rate"]
    assert first["status"] == "UNKNOWN" and "only one readable sample" in first["message"], first
    # a collect right before the check, closer than the rules' min_interval
    rules = tmp_path / "rules.yaml"
    rules.write_text("error_rate: {min_interval: 120}\n")
    assert oamkit(env, "collect", "-i", str(lab_inventory), "--limit", "vrp-1").returncode == 0
    _, report = check_json(env, lab_inventory, "--limit", "vrp-1", "--rules", str(rules))
    rate = by_interface(report, "vrp-1")[1][itf]["error_rate"]
    assert rate["status"] == "UNKNOWN"
    assert "a collect right before this check" in rate["message"], rate
    assert "min_interval (120 s)" in rate["message"]


def test_nagios_bad_input_and_internal_errors_are_unknown_in_one_line(lab, lab_inventory, env,
                                                                      tmp_path):
    cases = [(("--rules", str(tmp_path / "missing.yaml")), "--rules"),
             (("--sample", "soon"), "--sample"),
             (("--timeout", "abc"), "--timeout"),
             (("--db", str(tmp_path)), "--db"),      # a folder is no database
             (("--json",), "--json is --format json: give one of them")]   # was JSON, exit 1
    for extra, named in cases:
        result = oamkit(env, "check", "-i", str(lab_inventory), "--format", "nagios", *extra)
        assert result.returncode == 3, (extra, result.stdout, result.stderr)
        assert result.stdout.startswith("OAMKIT UNKNOWN - "), result.stdout
        assert result.stdout.count("\n") == 1 and named in result.stdout, result.stdout
    plain = oamkit(env, "check", "-i", str(lab_inventory), "--sample", "soon")
    assert plain.returncode == 2 and not plain.stdout and "--sample" in plain.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def query(base: str, promql: str) -> list:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=5) as answer:
        data = json.load(answer)
    assert data["status"] == "success", data
    return data["data"]["result"]


def test_exporter_scraped_by_prometheus_gives_crc_rates(lab, lab_inventory, env, tmp_path):
    binary = shutil.which("prometheus")
    assert binary, "the prometheus server is missing: run `bash scripts/install.sh --test`"
    lab.inject_errors("ios-1", BAD_ITF, crc_per_second=200)
    exporter_port, prom_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n"
                      f"scrape_configs:\n- job_name: oamkit\n  static_configs:\n"
                      f"  - targets: ['127.0.0.1:{exporter_port}']\n")
    logs = tmp_path / "logs"
    logs.mkdir()
    exporter = subprocess.Popen(
        [*oamkit_argv(), "exporter", "-i", str(lab_inventory), "--limit", "ios-1",
         "--listen", f"127.0.0.1:{exporter_port}", "--interval", "1s", "--timeout", "20"],
        env=env, stdout=open(logs / "exporter.out", "w"), stderr=open(logs / "exporter.err", "w"))
    server = subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=open(logs / "prom.out", "w"), stderr=open(logs / "prom.err", "w"))
    base = f"http://127.0.0.1:{prom_port}"
    series = 'oamkit_interface_crc_errors_total{{host="ios-1",interface="{}"}}'
    found: dict = {}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and exporter.poll() is None and server.poll() is None:
            try:
                found = {itf: query(base, f"rate({series.format(itf)}[5s])")
                         for itf in (BAD_ITF, GOOD_ITF)}
            except OSError:
                found = {}   # not listening yet
            if found.get(BAD_ITF) and float(found[BAD_ITF][0]["value"][1]) > 50:
                break
            time.sleep(1)
        assert found.get(BAD_ITF), (found, (logs / "exporter.err").read_text()[-2000:],
                                    (logs / "prom.err").read_text()[-2000:])
        assert float(found[BAD_ITF][0]["value"][1]) > 50, found
        assert float(found[GOOD_ITF][0]["value"][1]) == 0, found
        runs = query(base, "oamkit_exporter_runs_total")
        assert float(runs[0]["value"][1]) >= 2
    finally:
        for proc in (exporter, server):
            proc.terminate()
        for proc in (exporter, server):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert exporter.returncode == 0, (logs / "exporter.err").read_text()[-2000:]


def oamkit_argv() -> list[str]:
    import sys

    return [sys.executable, "-m", "oamkit.cli"]
