"""The degrade verdict's range (oamkit.dr.degrade): a site passes when the traffic is on the
secondary between one window before the prediction and the latest detection the prediction
gives (`latest_s`: the windows' phase and, with random errors, their spread), and the watch
lasts until that latest time. Pure: a synthetic probe run, a prediction as `OamHook.predict`
gives it (oamkit.detection's figures for 10% of 400 frames/s, 5 in a 1 s window, BFD 0.3 s)."""
from types import SimpleNamespace

import numpy as np
import pytest

from oamkit import detection
from oamkit.dr.degrade import DegradeWatch, judge_sites, latest_detection, set_oam_hook
from oamkit.dr.plan import Step
from oamkit.dr.report import predicted_text
from oamkit.probe.engine import ProbeRun, Slot
from oamkit.probe.proto import ProbeProto

T0, BFD = 1000.0, 0.3


def prediction(random_errors: bool) -> dict:
    crossing = 5 / 40
    latest = detection.latest_crossing_s(5, 40, 1.0) if random_errors else crossing + 1.0
    return {"predicted_s": crossing + BFD, "window_s": 1.0, "latest_s": latest + BFD,
            "random_errors": random_errors, "reason": "frame: 5 errored frames in 1 s", "monitors": []}


def probe_run(n_rounds=600, interval=0.01) -> ProbeRun:
    tx = np.array([[T0 + k * interval for k in range(n_rounds)]])
    rx = tx + 0.0003
    return ProbeRun([Slot("127.0.0.1", ProbeProto("icmp"))], interval, n_rounds, T0, tx,
                    np.zeros(tx.shape), rx, np.ones(tx.shape, dtype=np.int8), np.zeros(tx.shape, dtype=bool))


# a degrade step whose namespace does not exist: the frame-rate samples read nothing
STEP = Step(type="degrade", link="wan1", netns="oamkit-test-none", interface="wan1", errored_frames="10%",
            device="edge-1", device_interface="GigabitEthernet0/0/0/0")


def judged(pred: dict, down_after: float, outage: float = 0.05) -> tuple[list[str], dict]:
    watch = DegradeWatch(STEP, prediction=pred, t_trigger=T0 + 1.0, t_down=T0 + 1.0 + down_after)
    site = SimpleNamespace(failover={"recovered": True, "outage_s": outage}, reasons=[], degradation=None)
    judge_sites(watch, probe_run(), [site], T0)
    return site.reasons, site.degradation


def test_random_errors_a_window_late_pass_within_the_latest_detection():
    pred = prediction(random_errors=True)
    assert pred["latest_s"] == pytest.approx(1.0 + 29.588 / 80 + BFD, abs=1e-3)
    # 1.45 s after the errors: past the prediction (0.425 s) + one window, as bench/degrade.py saw
    reasons, g = judged(pred, down_after=1.4)
    assert reasons == [] and g["on_secondary_after_s"] == pytest.approx(1.45)
    assert g["slack_s"] == 1.0
    assert g["late_slack_s"] == pytest.approx(pred["latest_s"] - pred["predicted_s"], abs=1e-4)
    assert predicted_text(g) == "0.42 s (-1 s, +1.24 s)"
    # later than even that: FAIL, saying the range and why it is that wide
    reasons, _ = judged(pred, down_after=1.7)
    assert len(reasons) == 1 and "outside the prediction 0.42 s" in reasons[0], reasons
    assert "random spread" in reasons[0] and f"{pred['latest_s']:.2f} s" in reasons[0]
    # more than one window early fails too
    reasons, _ = judged(pred, down_after=-0.7, outage=0.0)
    assert len(reasons) == 1 and "outside the prediction" in reasons[0]


def test_evenly_spaced_errors_keep_the_one_window_range():
    pred = prediction(random_errors=False)
    reasons, g = judged(pred, down_after=1.4)
    assert len(reasons) == 1 and "the windows' phase)" in reasons[0], reasons
    assert g["late_slack_s"] == pytest.approx(1.0)
    assert judged(pred, down_after=1.3)[0] == []


class Predicting:
    """The OAM hook's prediction (`oamkit.dr_actions.OamHook` reads it from the inventory)."""

    def __init__(self, pred: dict):
        self.pred, self.asked = pred, []

    def predict(self, device, interface, **rates):
        self.asked.append((device, interface, rates))
        return self.pred


def triggered(hook: Predicting, max_watch_s: float) -> DegradeWatch:
    """A watch the errors began on at T0, predicted by `hook` (set for the call only)."""
    set_oam_hook(hook)
    try:
        watch = DegradeWatch(STEP, routing_detect_s=BFD)
        watch.triggered(T0, T0 + 0.01, max_watch_s=max_watch_s)
    finally:
        set_oam_hook(None)
    return watch


@pytest.mark.parametrize("random_errors", [True, False])
def test_the_watch_lasts_until_the_latest_detection(random_errors):
    pred = prediction(random_errors)
    hook = Predicting(pred)
    watch = triggered(hook, max_watch_s=60.0)
    assert hook.asked and hook.asked[0][2]["error_fraction"] == pytest.approx(0.1)
    assert watch.deadline - T0 == pytest.approx(pred["latest_s"]) == pytest.approx(latest_detection(pred))
    # never past the step's timeout
    assert triggered(hook, max_watch_s=1.2).deadline - T0 == pytest.approx(1.2)


def test_a_prediction_without_a_latest_time_keeps_one_window():
    # e.g. from a report written before `latest_s` existed
    assert latest_detection({"predicted_s": 0.4, "window_s": 1.0}) == pytest.approx(1.4)


def test_a_threshold_reached_only_by_chance_may_be_reached_at_any_window():
    # 2% of 200 frames/s: 4 expected per window, 5 needed (oamkit.detection: half the runs
    # within ~2.3 s); the link going down in the very first window is no early failure
    intent_monitor = detection.predict_monitors(
        detection_intent(), frames_per_s=200, error_fraction=0.02)[0]
    assert intent_monitor.earliest_s == 0.0
    pred = {"predicted_s": intent_monitor.crossing_s + BFD, "window_s": 1.0, "earliest_s": BFD,
            "latest_s": intent_monitor.latest_s + BFD, "random_errors": True, "monitors": []}
    reasons, g = judged(pred, down_after=0.55)
    assert reasons == [], reasons
    assert g["slack_s"] == pytest.approx(intent_monitor.crossing_s, abs=1e-4)
    # without `earliest_s` (one window before the prediction) the same run would have failed
    reasons, _ = judged({**pred, "earliest_s": None}, down_after=0.55)
    assert len(reasons) == 1 and "outside the prediction" in reasons[0]


def detection_intent():
    from oamkit.policy import PolicySpec, resolve_intent

    spec = PolicySpec.model_validate({"link_monitor": {"frame": {"window": "1s", "low": 1, "high": 5}},
                                      "high_threshold_action": "error-disable-interface"})
    return resolve_intent(spec, host="h", interface="GigabitEthernet0/1", policy="p", speed_bps=10**9)


def test_a_watch_cut_short_by_the_step_timeout_says_so():
    pred = prediction(random_errors=True)
    for deadline, said in ((T0 + 1.0 + pred["latest_s"], False), (T0 + 1.0 + 1.2, True)):
        watch = DegradeWatch(STEP, prediction=pred, t_trigger=T0 + 1.0, deadline=deadline)
        site = SimpleNamespace(failover={}, reasons=[], degradation=None)
        judge_sites(watch, probe_run(), [site], T0)
        [why] = site.reasons
        assert "link never taken down" in why and f"at the latest {pred['latest_s']:.2f} s" in why
        assert ("the step's timeout ended the watch first" in why) is said, why
