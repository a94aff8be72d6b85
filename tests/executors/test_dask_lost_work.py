"""A Dask cluster that fails a host's work mid-change: a real scheduler and worker (`dask
scheduler`, `dask worker`, processes on 127.0.0.1), a real worker killed with SIGKILL or the
real scheduler killed while `oamkit push --executor dask --scheduler` is changing a slow lab
device. The device's state is then unknown: `failed-needs-attention`, exit 3, one line saying
how to check it, and the push is never run a second time."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oamkit.engine.results import NEEDS_ATTENTION

pytestmark = pytest.mark.lab

BIN = Path(sys.executable).parent


class Cluster:
    """`dask scheduler` and one `dask worker` (a nanny and its worker process), each in its own
    process group so the test can stop exactly what it started."""

    def __init__(self, folder: Path, env: dict) -> None:
        self.file = folder / "scheduler.json"
        self.env = env
        self.scheduler = self._start(folder / "scheduler.log", "scheduler", "--host", "127.0.0.1",
                                     "--port", "0", "--dashboard-address", "127.0.0.1:0",
                                     "--scheduler-file", str(self.file))
        for _ in range(300):
            if self.file.exists() and self.file.stat().st_size:
                break
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        self.worker = self._start(folder / "worker.log", "worker", "--scheduler-file", str(self.file),
                                  "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "2",
                                  "--no-dashboard")
        from distributed import Client

        self.client = Client(self.address, timeout=30)
        self.client.wait_for_workers(1, timeout=60)

    def _start(self, log: Path, *args: str) -> subprocess.Popen:
        return subprocess.Popen([str(BIN / "dask"), *args], env=self.env, start_new_session=True,
                                stdout=log.open("w"), stderr=subprocess.STDOUT)

    def worker_pid(self) -> int:
        return next(iter(self.client.run(os.getpid).values()))

    def stop(self) -> None:
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - the scheduler may be gone (the test killed it)
            pass
        for proc in (self.worker, self.scheduler):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path):
    env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
           "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    running = Cluster(tmp_path, env)
    try:
        yield running
    finally:
        running.stop()


def push_in_background(inventory: Path, cluster: Cluster, host: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "oamkit.cli", "push", "-i", str(inventory),
                             "--limit", host, "--executor", "dask", "--scheduler", cluster.address,
                             "--json"], env=cluster.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def backups_of(state: Path, host: str) -> int:
    return sum(json.loads(line)["host"] == host
               for journal in state.glob("changes/*/backups.jsonl")
               for line in journal.read_text().splitlines() if line.strip())


def wait_until_mid_change(state: Path, host: str, push: subprocess.Popen) -> None:
    """The worker has backed the host up: what comes next changes the device (slowly)."""
    for _ in range(600):
        if backups_of(state, host) or push.poll() is not None:
            return
        time.sleep(0.05)


@pytest.mark.timeout(240)
def test_a_push_whose_worker_dies_mid_change_is_never_run_again_and_needs_attention(
        lab, lab_inventory, cluster, tmp_path):
    state = tmp_path / "state"
    lab.set_faults("ios-1", command_delay=1.0)   # the change takes many seconds
    push = push_in_background(lab_inventory, cluster, "ios-1")
    wait_until_mid_change(state, "ios-1", push)
    assert push.poll() is None, push.communicate()
    os.kill(cluster.worker_pid(), signal.SIGKILL)   # its nanny starts a new one; Dask reruns the task
    out, err = push.communicate(timeout=180)
    (host,) = json.loads(out)["hosts"]
    # was: exit 0, the push run again on the new worker (a second backup, or `unchanged` with
    # "took over the lock of dead process N" while the first attempt's revert timer was pending)
    assert push.returncode == 3, (out, err)
    assert host["outcome"] == NEEDS_ATTENTION
    assert "died mid-change" in host["error"] and "oamkit diff --limit ios-1" in host["error"]
    assert "oamkit rollback --change" in host["error"]
    assert backups_of(state, "ios-1") == 1   # the push ran once
    assert "Traceback" not in err


@pytest.mark.timeout(240)
def test_a_push_whose_scheduler_is_lost_mid_change_needs_attention_in_one_line(
        lab, lab_inventory, cluster, tmp_path):
    state = tmp_path / "state"
    lab.set_faults("ios-1", command_delay=1.0)
    push = push_in_background(lab_inventory, cluster, "ios-1")
    wait_until_mid_change(state, "ios-1", push)
    assert push.poll() is None, push.communicate()
    os.killpg(cluster.scheduler.pid, signal.SIGKILL)
    out, err = push.communicate(timeout=180)
    (host,) = json.loads(out)["hosts"]
    # was: `error` (read as "nothing sent"), exit 1, "internal error: FutureCancelledError ...
    # scheduler-connection-lost", and distributed's traceback on stderr
    assert push.returncode == 3, (out, err)
    assert host["outcome"] == NEEDS_ATTENTION
    assert "lost the Dask scheduler" in host["error"] and "while ios-1 was being changed" in host["error"]
    assert "oamkit diff --limit ios-1" in host["error"] and "\n" not in host["error"]
    assert "Traceback" not in err


@pytest.mark.timeout(240)
def test_rollback_names_a_changed_host_whose_backup_a_worker_wrote_elsewhere(
        lab, lab_inventory, tmp_path):
    # the workers' state folder is not this machine's: the push's backups are written there
    workers_env = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "worker-state"),
                   "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    cluster = Cluster(tmp_path, workers_env)
    here = {**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state")}
    try:
        push = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                               "--limit", "ios-1", "--executor", "dask", "--scheduler",
                               cluster.address, "--json"], env=here, capture_output=True,
                              text=True, timeout=180)
    finally:
        cluster.stop()
    pushed = json.loads(push.stdout)
    assert push.returncode == 0 and pushed["hosts"][0]["outcome"] == "changed", push.stderr
    rollback = subprocess.run([sys.executable, "-m", "oamkit.cli", "rollback", "--change",
                               pushed["change_id"], "-i", str(lab_inventory), "--json"], env=here,
                              capture_output=True, text=True, timeout=120)
    # was: ok, exit 0, hosts: [] (nothing restored, nothing said)
    assert rollback.returncode == 3, (rollback.stdout, rollback.stderr)
    (host,) = json.loads(rollback.stdout)["hosts"]
    assert host["host"] == "ios-1" and host["outcome"] == NEEDS_ATTENTION
    assert "was changed by change " + pushed["change_id"] in host["error"]
    assert f"its backup is not in {tmp_path / 'state'}" in host["error"]


@pytest.mark.timeout(240)
def test_a_worker_without_the_password_variable_logs_in_to_no_device(lab, lab_inventory, tmp_path):
    defaults = lab_inventory / "defaults.yaml"   # the variable only, no password file
    defaults.write_text(defaults.read_text().replace("    password_file: .lab-password\n", ""))
    here = {k: v for k, v in os.environ.items() if k != "OAMKIT_PASSWORD"}
    workers_env = {**here, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
                   "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
    workers_env.pop("OAMKIT_LAB_PASSWORD", None)
    cluster = Cluster(tmp_path, workers_env)
    try:
        run = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                              "--limit", "ios-1", "--executor", "dask", "--scheduler",
                              cluster.address, "--json"],
                             env={**here, "OAMKIT_STATE_DIR": str(tmp_path / "state"),
                                  "OAMKIT_LAB_PASSWORD": lab.password},
                             capture_output=True, text=True, timeout=180)
        worker = next(iter(cluster.client.scheduler_info()["workers"]))
    finally:
        cluster.stop()
    (host,) = json.loads(run.stdout)["hosts"]
    assert run.returncode == 1 and host["outcome"] == "error", run.stdout
    assert f"on Dask worker {worker}" in host["error"] and "host ios-1" in host["error"]
    assert "OAMKIT_LAB_PASSWORD" in host["error"]
    # was: a failed login on the device (its AAA counts it: lockout risk)
    assert not [e for e in lab.devices["ios-1"].transcript if e.text.startswith("auth")]


@pytest.mark.timeout(240)
def test_session_logs_with_a_scheduler_we_did_not_start_are_said_to_be_missing(
        lab, lab_inventory, cluster, tmp_path):
    logs = tmp_path / "session-logs"
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                          "--limit", "ios-1", "--executor", "dask", "--scheduler", cluster.address,
                          "--session-log", str(logs), "--json"], env=cluster.env,
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert not list(logs.glob("*.log"))   # the workers did not have the folder
    # was: only "session logs: DIR/<host>.log", and nothing there
    assert f"--session-log: the workers of the Dask scheduler at {cluster.address} do not " \
           "write session logs" in run.stderr


def test_a_scheduler_with_no_workers_is_refused_before_anything_is_submitted(lab_inventory, tmp_path):
    file = tmp_path / "scheduler.json"
    scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                  "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file",
                                  str(file)], start_new_session=True,
                                 stdout=(tmp_path / "scheduler.log").open("w"),
                                 stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            if file.exists() and file.stat().st_size:
                break
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        run = subprocess.run([sys.executable, "-m", "oamkit.cli", "push", "-i", str(lab_inventory),
                              "--executor", "dask", "--scheduler", address, "--timeout", "5",
                              "--json"],
                             env={**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state")},
                             capture_output=True, text=True, timeout=120)
    finally:
        os.killpg(scheduler.pid, signal.SIGKILL)
        scheduler.wait(timeout=30)
    # was: the push waited out its deadline, then "no answer within the 5 s deadline", exit 3
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert f"the Dask cluster at {address} has no workers" in run.stdout + run.stderr
    assert not (tmp_path / "state" / "changes").exists() or \
        not list((tmp_path / "state" / "changes").glob("*/backups.jsonl"))


@pytest.mark.parametrize("address, says", [
    ("tcp://127.0.0.1:1", "127.0.0.1:1 refused the connection"),
    ("tcp://127.0.0.1:99999", "port 99999 is out of range"),
])
def test_a_refused_or_impossible_scheduler_address_is_bad_input_at_once(lab_inventory, tmp_path,
                                                                      address, says):
    # was: Dask's client retried until its connect timeout, then a timeout message (no port check)
    run = subprocess.run([sys.executable, "-m", "oamkit.cli", "diff", "-i", str(lab_inventory),
                          "--executor", "dask", "--scheduler", address],
                         env={**os.environ, "OAMKIT_STATE_DIR": str(tmp_path / "state")},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and says in run.stderr, run.stderr
