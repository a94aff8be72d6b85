"""Trigger and restore steps of a DR test: a command, an oamkit action, or an operator.

Every step is bounded by its timeout, also a manual one (the operator's Enter) and an action
(the change engine's hook): the probe schedule is sized from these timeouts, so a step that
could outlast them would leave the window after it unobserved (a false PASS)."""
from __future__ import annotations

import datetime
import os
import shlex
import signal
import stat
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

from oamkit.dr.plan import Step
from oamkit.errors import OamkitError

# The "oamkit action on an inventory device" trigger: the lead connects this to the change
# engine. Signature: hook(action, device, args, timeout) -> str (output); raise to fail.
ActionHook = Callable[[str, str, dict, float], str]
_action_hook: ActionHook | None = None


def set_action_hook(hook: ActionHook | None) -> None:
    global _action_hook
    _action_hook = hook


def prompt_on_stderr(prompt: str) -> str:
    """The operator's prompt goes to stderr: stdout may be the JSON result (--json)."""
    sys.stderr.write(prompt)
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


@dataclass
class StepRecord:
    name: str
    type: str
    description: str | None
    started: float | None = None
    ended: float | None = None
    ok: bool = False
    returncode: int | None = None
    output: str = ""
    error: str | None = None

    def as_dict(self, t_ref: float) -> dict:
        d = asdict(self)
        d["started_rel_s"] = None if self.started is None else round(self.started - t_ref, 6)
        d["ended_rel_s"] = None if self.ended is None else round(self.ended - t_ref, 6)
        # ISO 8601 twins of the epoch floats (kept for the scripts that read them)
        d["started_iso"], d["ended_iso"] = iso(self.started), iso(self.ended)
        return d


def iso(epoch: float | None) -> str | None:
    """An epoch time as ISO 8601, local time with its offset, to the millisecond."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="milliseconds")


class StepTimeout(Exception):
    pass


def call_with_timeout(fn: Callable[[], Any], timeout: float) -> Any:
    """Run fn in a daemon thread and wait at most `timeout` s. The caller's thread stays
    interruptible (Ctrl-C) and the probe sender keeps its schedule meanwhile (it is a process)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:   # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="dr-step", daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise StepTimeout
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _realtime_child() -> None:   # the trigger's instant is the reference: keep it sharp under load
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    except OSError:
        pass


def run_shielded(argv: list[str], timeout: float) -> tuple[int, str]:
    """Run a command step in a session of its own: a terminal's Ctrl-C (sent to the whole
    foreground process group) or a signal to oamkit's group does not reach it, so a second
    Ctrl-C cannot kill the restore half-way. Its timeout still ends it, with all it started
    (the whole session is killed); so does an interrupt of oamkit while it runs (a trigger).
    -> (returncode, stdout + stderr)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL, preexec_fn=_realtime_child, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException:        # TimeoutExpired, KeyboardInterrupt: nothing of it stays behind
        _kill_session(p)
        raise
    return p.returncode, out + err


def _kill_session(p: subprocess.Popen) -> None:
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        p.communicate(timeout=5)
    except subprocess.TimeoutExpired:   # a grandchild left the session and holds the pipes
        p.kill()
        p.wait()


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def stdin_closed() -> str | None:
    """Why a manual step could never be answered here: stdin closed, /dev/null, or a file
    already read to its end; None when an operator (a terminal, a pipe) may answer."""
    try:
        st = os.fstat(0)
    except OSError:
        return "stdin is closed"
    try:
        null = os.stat(os.devnull)
    except OSError:
        null = None
    if null is not None and stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev:
        return "stdin is /dev/null"
    if stat.S_ISREG(st.st_mode):
        try:
            if os.lseek(0, 0, os.SEEK_CUR) >= st.st_size:
                return "stdin is a file with nothing left to read"
        except OSError:
            pass
    return None


def command_argv(step: Step) -> list[str]:
    """What a command step runs: its list, or its string split shell-style (no shell)."""
    return shlex.split(step.command) if isinstance(step.command, str) else list(step.command or [])


def run_step(step: Step, name: str, input_fn: Callable[[str], str] = prompt_on_stderr,
             action_hook: ActionHook | None = None) -> StepRecord:
    rec = StepRecord(name, step.type, step.description)
    try:
        if step.type == "command":
            argv = command_argv(step)
            rec.started = time.time()
            returncode, out = run_shielded(argv, step.timeout)
            rec.ended = time.time()
            rec.returncode = returncode
            rec.output = out[-2000:]
            rec.ok = returncode == 0
            if not rec.ok:
                rec.error = (f"killed by {_signal_name(-returncode)}" if returncode < 0
                             else f"exit status {returncode}")
        elif step.type == "degrade":
            from oamkit.dr import degrade

            rec.started = time.time()
            if name == "restore":
                rec.output = degrade.restore(step, action_hook or _action_hook, step.timeout)[-2000:]
            else:
                rec.output = degrade.apply(step, min(step.timeout, degrade.CMD_TIMEOUT_S))
            rec.ended = time.time()
            rec.ok = True
        elif step.type == "manual":
            asked = time.time()
            try:
                call_with_timeout(lambda: input_fn(f"{step.prompt} "), step.timeout)
            except EOFError:
                raise OamkitError("manual step needs an operator: stdin is closed") from None
            except StepTimeout:
                rec.started, rec.ended = asked, time.time()
                rec.error = f"no answer from the operator within {step.timeout:g} s"
                return rec
            # the operator acted somewhere between the prompt and Enter: an outage that began
            # (or even ended) before Enter belongs to this step
            rec.started, rec.ended = asked, time.time()
            rec.ok = True
        else:
            hook = action_hook or _action_hook
            if hook is None:
                raise OamkitError("no action hook is connected for 'action' steps "
                                  "(oamkit.dr.runner.set_action_hook)")
            rec.started = time.time()
            try:
                out = call_with_timeout(lambda: hook(step.action, step.device, dict(step.args), step.timeout),
                                        step.timeout)
            except StepTimeout:
                rec.ended = time.time()
                rec.error = f"timed out after {step.timeout:g} s"
                return rec
            rec.output = str(out or "")[-2000:]
            rec.ended = time.time()
            rec.ok = True
    except subprocess.TimeoutExpired:
        rec.ended = time.time()
        rec.error = f"timed out after {step.timeout:g} s"
    except (OSError, OamkitError, ValueError) as exc:
        rec.ended = rec.ended or time.time()
        rec.error = str(exc)
    return rec
