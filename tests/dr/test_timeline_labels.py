"""Path labels from the plan on the timeline (issue: DR tests on real networks, 4): each row
shows the normal path before the trigger and the failover path after it, labelled
("wan1 (primary)"), and an unknown path as unknown, never as a hop."""
import copy
import json
from pathlib import Path

from oamkit.dr.report import timeline_figure, write_reports

DATA = Path(__file__).parent / "data"


def labelled(result):
    r = copy.deepcopy(result)
    for s in r["sites"]:
        for key, label in (("path_before", "wan1 (primary)"), ("path_after", "wan2 (secondary)")):
            p = s.get(key)
            if p:
                p["seen_label"] = label if p["seen"] == p["expected"] else None
                p["status"] = ("as expected" if p["seen"] == p["expected"] else
                               "unknown" if p["seen"] == "*" else "wrong")
    return r


def rows(result):
    import matplotlib.pyplot as plt

    fig = timeline_figure(result)
    try:
        return {t.get_text().split(" [")[0]: t.get_text() for t in fig.axes[0].get_yticklabels()}
    finally:
        plt.close(fig)


def test_timeline_rows_show_normal_and_failover_labels_and_unknown(tmp_path):
    result = labelled(json.loads((DATA / "half-routes.result.json").read_text()))
    r = rows(result)
    # site1 failed over: both labelled hops, in order
    assert r["site1"] == "site1 [PASS]  10.11.0.2 wan1 (primary) -> 10.12.0.2 wan2 (secondary)"
    # site9 lost connectivity, its path after the trigger never answered: unknown, with what was expected
    assert r["site9"].startswith("site9 [FAIL]  10.11.0.2 wan1 (primary) -> unknown (expected 10.12.0.2 wan2")
    page = write_reports(result, tmp_path)["html"].read_text()
    assert "unknown (expected 10.12.0.2 wan2 (secondary))" in page and "10.11.0.2 wan1 (primary)" in page


def test_a_wrong_hop_is_marked_on_the_timeline():
    result = labelled(json.loads((DATA / "healthy.result.json").read_text()))
    site = result["sites"][0]
    site["path_after"].update(seen="10.11.0.2", seen_label="wan1 (primary)", status="wrong")
    assert rows(result)[site["name"]].endswith("-> 10.11.0.2 wan1 (primary) WRONG")
