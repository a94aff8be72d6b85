"""A trigger slower than the old fixed probe window (issue: DR tests on real networks, 3).

On loopback (root for raw sockets): the runner itself must notice when probing ended before
the window after the trigger was watched, and call the run INVALID, never PASS."""
import time

import pytest

from oamkit.dr.plan import parse_plan
from oamkit.dr.runner import EXIT_FOR_VERDICT, DrRunner

from tests.dr.conftest import needs_root

pytestmark = needs_root()


def loopback_dict(**over) -> dict:
    """A two-site plan on loopback whose steps do nothing (`over`: keys to change)."""
    plan = {"name": "loopback", "interval": "20ms", "baseline": "0.5s",
            "sites": [{"name": "a", "target": "127.0.0.1"}, {"name": "b", "target": "127.0.0.2"}],
            "trigger": {"type": "command", "command": ["true"]},
            "restore": {"type": "command", "command": ["true"]},
            "convergence_bound": "1s", "failback_bound": "1s", "min_watch": "0.5s"}
    plan.update(over)
    return plan


def loopback_plan(**over):
    return parse_plan(loopback_dict(**over))


def test_probing_covers_a_trigger_that_takes_longer_than_the_old_window():
    # the old schedule was pre + bound + settle + 1 s = 3 s; this trigger returns after 3.5 s
    plan = loopback_plan(trigger={"type": "command", "command": ["sleep", "3.5"], "timeout": "10s"})
    result = DrRunner(plan, realtime=False).run()
    w = result["watch_windows"]["failover"]
    assert w["complete"], w
    # the whole window after the step: returned + convergence bound + settle
    assert w["probed_until_rel_s"] >= w["step_returned_rel_s"] + plan.convergence_bound + plan.settle - 0.05, w
    # a trigger that does nothing to loopback: nothing failed, nothing failed over either
    assert result["verdict"] == "INCONCLUSIVE", result["summary"]
    assert all(not s["reasons"] for s in result["sites"])


def test_probing_that_ends_before_the_window_was_watched_is_invalid():
    """The sender stops while the trigger is still running (as when it hit its hard deadline):
    every site looks fine in what was probed, but the window after the trigger was not seen."""
    runner = DrRunner(loopback_plan(trigger={"type": "action", "action": "x", "device": "d"}), realtime=False)

    def hook(action, device, args, timeout):
        runner._engines[-1].stop()            # probing ends here ...
        time.sleep(0.5)                       # ... and the trigger returns later
        return "done"
    runner.action_hook = hook
    result = runner.run()
    assert not result["watch_windows"]["failover"]["complete"]
    assert all(not s["reasons"] for s in result["sites"])              # what was seen looked fine
    assert result["verdict"] == "INVALID" and EXIT_FOR_VERDICT["INVALID"] == 3
    assert any("did not observe the whole window after the trigger" in x for x in result["summary"])
    assert not result["measurement_trusted"]


def test_manual_prompt_goes_to_stderr_and_times_out(capsys, monkeypatch):
    import io
    import sys

    from oamkit.dr.steps import prompt_on_stderr, run_step

    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert prompt_on_stderr("cut now ") == "\n"
    out = capsys.readouterr()
    assert out.err == "cut now " and out.out == ""
    step = parse_plan({"sites": [{"name": "a", "target": "127.0.0.1"}],
                       "trigger": {"type": "manual", "prompt": "p", "timeout": "0.3s"},
                       "restore": {"type": "manual"}}).trigger
    rec = run_step(step, "trigger", input_fn=lambda p: time.sleep(5))
    assert not rec.ok and "no answer from the operator within 0.3 s" in rec.error
    assert parse_plan({"sites": [{"name": "a", "target": "127.0.0.1"}], "trigger": {"type": "manual"},
                       "restore": {"type": "command", "command": "true"}}).trigger.timeout == pytest.approx(300)
