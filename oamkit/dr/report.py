"""DR test reports from the result dict: JSON, JUnit XML, a timeline PNG and an HTML page that
embeds it. Pure functions of the result, so a report can be re-rendered from its JSON."""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from oamkit.files import output_problem, write_replacing


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.0f} ms"


def predicted_text(g: dict) -> str:
    """A site's predicted detection and the range that passes: '0.43 s (-1 s, +1.25 s)'
    (earlier by one window, later by the windows' phase and the random errors' spread)."""
    if g.get("predicted_s") is None:
        return "never"
    early = g.get("slack_s") or 0
    late = g.get("late_slack_s")

    def short(seconds: float) -> str:
        return f"{seconds:.2f}".rstrip("0").rstrip(".")

    return f"{g['predicted_s']:.2f} s (-{short(early)} s, +{short(early if late is None else late)} s)"


def outage_text(o: dict | None, interval: float) -> str:
    """A site's outage as the table shows it: the estimate and how far the truth can be from
    it ('398 ± 18 ms'), the number of outages when it flapped ('3622 ± 20 ms in 2 outages')."""
    if not o:
        return "-"
    times = len(o.get("outages") or [])
    flap = f" in {times} outages" if times > 1 else ""
    if not o["recovered"]:
        if o["lost"] == 0 and o.get("tail_loss_pct"):
            return f"none, {o['tail_loss_pct']:g}% lost at the end, not recovered"
        return f"≥ {o['outage_s'] * 1e3:.0f} ms{flap}, not recovered"
    if o["lost"] == 0:
        return "none"
    err = o.get("err_s", interval)
    return f"{o['outage_s'] * 1e3:.0f} ± {err * 1e3:.{0 if err >= 0.0095 else 1}f} ms{flap}"


# what the outage numbers are, for the page's footer and the timeline's title
OUTAGE_MEANING = ("outage: from the break to the repair, each placed between the probes around it (lost "
                  "probes × interval on its own, pinned finer where the sites' gaps agree on one cut); ± is "
                  "the farthest the truth can be within the site's own probes (one to two intervals, one more "
                  "for each further outage of a flap). A run of 2 or more lost probes is an outage; every "
                  "outage after the trigger (and after the restore) counts, added up when a site flapped; a lone lost probe is "
                  "scattered loss, not an outage")


def write_json(result: dict, path: Path) -> Path:
    write_replacing(path, json.dumps(result, indent=2, default=str))   # a planted link: replaced
    return path


def write_junit(result: dict, path: Path) -> Path:
    sites = result["sites"]
    failures = sum(1 for s in sites if s["verdict"] == "FAIL")
    # not demonstrated is not a pass: an error (no result), never green and never skipped
    inconclusive = sum(1 for s in sites if s["verdict"] == "INCONCLUSIVE")
    suite = ET.Element("testsuite", name=f"drtest: {result['plan']}", tests=str(len(sites) + 2),
                       failures=str(failures), errors=str(inconclusive),
                       time=f"{result['finished'] - result['started']:.3f}")
    for s in sites:
        tc = ET.SubElement(suite, "testcase", classname="drtest.site", name=f"{s['name']} ({s['target']})")
        body = (f"classification: {s['classification']}\nfailover outage: {outage_text(s['failover'], result['interval_s'])}\n"
                f"failback outage: {outage_text(s['failback'], result['interval_s'])}\n"
                f"path before: {(s['path_before'] or {}).get('note', '-')}\npath after: {(s['path_after'] or {}).get('note', '-')}\n"
                + (f"failover seen by: {' and '.join(s['failover_evidence']) or 'nothing'}\n" if "failover_evidence" in s else "")
                + "".join(f"note: {n}\n" for n in s.get("notes", []))
                + "".join(f"diagnostic: {d}\n" for d in s["diagnostics"]))
        if s["verdict"] == "FAIL":
            f = ET.SubElement(tc, "failure", message="; ".join(s["reasons"]) or "failed")
            f.text = body
        elif s["verdict"] == "NOT RUN":
            ET.SubElement(tc, "skipped", message="the failover phase did not run")
        elif s["verdict"] == "INCONCLUSIVE":
            why = [n for n in s.get("notes", []) if n.startswith("failover not demonstrated")]
            ET.SubElement(tc, "error", type="inconclusive",
                          message="; ".join(why) or "failover not demonstrated").text = body
        ET.SubElement(tc, "system-out").text = body
    eng = ET.SubElement(suite, "testcase", classname="drtest.engine", name="outage measurements trusted")
    late = [f"{k}: {v['trust_note']}, stalls {v.get('stalls', [])}" for k, v in result["engine"].items()
            if not v.get("trusted", True)]
    if not result.get("measurement_trusted", True):
        ET.SubElement(eng, "failure", message="; ".join(late) or "engine fell behind")
    ET.SubElement(eng, "system-out").text = "\n".join(late) or "schedule held in every phase"
    rst = ET.SubElement(suite, "testcase", classname="drtest.steps", name="restore step ran")
    r = result["steps"].get("restore")
    if not r or not r["ok"]:
        ET.SubElement(rst, "failure", message=(r or {}).get("error") or "restore did not run")
    if result["verdict"] in ("ABORTED",) or result.get("error"):
        suite.set("errors", str(inconclusive + 1))
        ET.SubElement(suite, "system-err").text = result.get("error") or result["verdict"]
    ET.indent(suite)
    write_replacing(path, "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(suite, encoding="unicode"))
    return path


def _path_status(p: dict) -> str:
    if p.get("status"):
        return p["status"]
    if p.get("seen") in ("*", "-", None):
        return "unknown"
    return "as expected" if p.get("match", True) else "wrong"


def _hop_label(p: dict) -> str:
    """'10.12.0.2 wan2 (secondary)': the hop seen with its label from the plan. Unknown (no
    ICMP answer) says so, with the hop that was expected: the reader knows what was asked."""
    status = _path_status(p)
    if status == "unknown":
        exp = p.get("expected") or "?"
        label = f" {p['expected_label']}" if p.get("expected_label") else ""
        return f"unknown (expected {exp}{label})"
    label = p.get("seen_label") or (p.get("expected_label") if p.get("seen") == p.get("expected") else None)
    return f"{p.get('seen', '-')}" + (f" {label}" if label else "") + (" WRONG" if status == "wrong" else "")


def timeline_label(s: dict) -> str:
    """One site's row on the timeline: its verdict, then the path before the trigger (the
    plan's normal path) and after it (the failover path), labelled from the plan."""
    paths = [p for p in (s.get("path_before"), s.get("path_after")) if p]
    text = f"{s['name']} [{s['verdict']}]"
    if paths:
        text += "  " + " -> ".join(_hop_label(p) for p in paths)
    return text


def write_png(result: dict, path: Path) -> Path:
    import io

    import matplotlib.pyplot as plt

    fig = timeline_figure(result)
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=100)
    plt.close(fig)
    # as the other reports: whole or not at all, never through a link (savefig wrote through)
    write_replacing(path, image.getvalue())
    return path


def timeline_figure(result: dict):
    """The timeline as a matplotlib figure (write_png saves it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sites = result["sites"]
    tl = result["timeline"]
    windows = [w for w in ("failover", "failback") if any(w in tl["sites"].get(s["name"], {}) for s in sites)]
    n = len(sites)
    height = min(2.0 + 0.28 * n, 40)
    fig, axes = plt.subplots(1, max(1, len(windows)), figsize=(13, height), sharey=True, squeeze=False,
                             gridspec_kw={"width_ratios": [1] * max(1, len(windows))})
    axes = axes[0]
    for ax, win in zip(axes, windows or ["failover"]):
        for row, s in enumerate(sites):
            w = tl["sites"].get(s["name"], {}).get(win)
            if not w:
                continue
            y = n - 1 - row
            ax.broken_barh([(w["start_rel_s"], w["end_rel_s"] - w["start_rel_s"])], (y - 0.35, 0.7),
                           facecolors="#4caf50")
            bursts = [(a, max(b - a, 0.002)) for a, b in w["bursts"]]
            if bursts:
                ax.broken_barh(bursts, (y - 0.35, 0.7), facecolors="#d32f2f")
            o = s.get(win)
            if o:
                ax.text(w["end_rel_s"], y, "  " + outage_text(o, result["interval_s"]), va="center", fontsize=8,
                        color="#b71c1c" if (not o["recovered"]) else "black", clip_on=False)
        step = tl.get("trigger" if win == "failover" else "restore")
        deg = result.get("degrade") if win == "failover" else None
        if deg and deg.get("trigger_rel_s") is not None:
            _degrade_marks(ax, deg, n)
            step = {**step, "started_rel_s": deg["link_down_rel_s"]} if step and deg.get("link_down_rel_s") else None
        if step and step.get("started_rel_s") is not None and win == "failover":
            ax.axvspan(step["started_rel_s"], step["started_rel_s"] + result["convergence_bound_s"],
                       color="#ffe082", alpha=0.35, zorder=0, label="allowed convergence")
            ax.legend(loc="lower right", fontsize=7, framealpha=0.9)
        if step and step.get("started_rel_s") is not None:
            ax.axvline(step["started_rel_s"], color="black", linestyle="--", linewidth=1.2)
            ax.text(step["started_rel_s"], n - 0.3, " link down" if deg else " trigger" if win == "failover" else " restore",
                    fontsize=9, va="bottom")
        ax.set_title(f"{win} watch", fontsize=10)
        ax.set_xlabel("seconds since probing started")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(n))
    axes[0].set_yticklabels([timeline_label(s) for s in reversed(sites)], fontsize=8)
    for tick, s in zip(axes[0].get_yticklabels(), reversed(sites)):
        tick.set_color({"PASS": "#2e7d32", "FAIL": "#c62828"}.get(s["verdict"], "#ef6c00"))
    axes[0].set_ylim(-0.7, n - 0.3 + 0.5)
    fig.suptitle(f"{result['plan']}: {result['verdict']}\n(green: answered, red: lost; outage: break to repair "
                 f"between the probes every {result['interval_s'] * 1e3:.0f} ms, every outage after the step added "
                 f"up; ± within the site's own probes)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 0.93, 0.95))
    return fig


def _degrade_marks(ax, deg: dict, n: int) -> None:
    """The degradation's phases on the failover watch: degraded (errors on the link), the OAM
    event logged, the link taken down, and the predicted detection."""
    t0 = deg["trigger_rel_s"]
    end = deg.get("link_down_rel_s") or deg.get("deadline_rel_s") or t0
    ax.axvspan(t0, end, color="#ffab91", alpha=0.35, zorder=0, label="degraded (errored frames)")
    ax.axvline(t0, color="#e64a19", linestyle="--", linewidth=1.2)
    ax.text(t0, n - 0.3, " errors", fontsize=8, va="bottom", color="#e64a19")
    if deg.get("event_logged_rel_s") is not None:
        res = deg.get("event_resolution_s")
        ax.axvline(deg["event_logged_rel_s"], color="#6a1b9a", linestyle=":", linewidth=1.2,
                   label="OAM event logged" + (f" (+0..{res:.1f} s)" if res is not None else ""))
    predicted = (deg.get("prediction") or {}).get("predicted_s")
    if predicted is not None:
        ax.axvline(t0 + predicted, color="#1565c0", linestyle=":", linewidth=1.5, label="predicted detection")


def event_time_source(deg: dict) -> str:
    """Where the OAM event's time came from, and how precise it is."""
    src = deg.get("event_source") or {}
    res = deg.get("event_resolution_s")
    within = "" if res is None else f", within {res:.2f} s after it"
    if src.get("source") == "log":
        return f"the device's event log `{src.get('command')}`, stamped to {src.get('resolution_s') or 1:g} s"
    if src.get("source") == "counter":
        return (f"the first rise of its event counter in `{src.get('command')}`, polled every "
                f"{src.get('poll_s'):g} s{within}; the device keeps no timestamped event log oamkit reads")
    return "the event log was not read"


def degrade_html(result: dict) -> str:
    """The degradation section: phases, prediction beside measurement, per site."""
    deg = result.get("degrade")
    if not deg:
        return ""
    e = html.escape

    def rel(key: str) -> str:
        v = deg.get(key)
        return "-" if v is None else f"+{v:.2f} s"

    pred = deg.get("prediction") or {}
    p_s = pred.get("predicted_s")
    monitors = "".join(f"<li>{e(m['reason'])}</li>" for m in pred.get("monitors", []))
    rows = "".join(
        "<tr><td>{n}</td><td>{loss}</td><td>{rtt}</td><td>{deg_s}</td><td>{meas}</td><td>{pred}</td><td>{saw}</td></tr>".format(
            n=e(s["name"]), loss="-" if g.get("loss_pct") is None else f"{g['loss_pct']:.1f}%",
            rtt="-" if g.get("rtt_ms") is None else f"{g['rtt_ms']:.2f} ms",
            deg_s="-" if g.get("degraded_s") is None else f"{g['degraded_s']:.2f} s",
            meas="never" if g.get("on_secondary_after_s") is None else f"{g['on_secondary_after_s']:.2f} s",
            pred=predicted_text(g),
            saw="whole watch" if g.get("users_saw_errors_s") is None else f"{g['users_saw_errors_s']:.2f} s")
        for s in result["sites"] if (g := s.get("degradation")))
    return f"""<h2>Degradation</h2><p>{e(str(deg.get('link')))}: {e(str(deg.get('errored_frames')))} errored frames
at {deg.get('frames_per_s') or 0:.0f} frames/s. Errors began {rel('trigger_rel_s')}; OAM event logged {rel('event_logged_rel_s')}
({e(event_time_source(deg))}); link taken down {rel('link_down_rel_s')}. Predicted detection:
{'never' if p_s is None else f'{p_s:.2f} s'} ({e(str(pred.get('reason', 'no prediction')))}).</p><ul>{monitors}</ul>
<table><tr><th>site</th><th>loss while degraded</th><th>RTT p50 while degraded</th><th>degraded</th>
<th>on the secondary after (measured)</th><th>predicted</th><th>users saw errors</th></tr>{rows}</table>"""


def _path_cell(p: dict) -> str:
    """The hop seen with its label from the plan, as on the timeline."""
    return _hop_label(p) if p else "-"


def write_html(result: dict, path: Path, png: Path) -> Path:
    img = base64.b64encode(png.read_bytes()).decode()
    e = html.escape
    color = {"PASS": "#2e7d32", "FAIL": "#c62828", "INVALID": "#ef6c00", "INCONCLUSIVE": "#ef6c00",
             "ABORTED": "#6a1b9a"}.get(result["verdict"], "#000")
    rows = []
    for s in result["sites"]:
        pb, pa = s["path_before"] or {}, s["path_after"] or {}
        rows.append(
            "<tr class='{cls}'><td>{name}</td><td>{target}</td><td>{proto}</td><td>{cls_}</td><td>{fo}</td><td>{fb}</td>"
            "<td>{pb}</td><td>{pa}</td><td>{rtt}</td><td><b>{v}</b></td><td>{why}</td></tr>".format(
                cls={"FAIL": "fail", "PASS": "pass"}.get(s["verdict"], "other"), name=e(s["name"]), target=e(s["target"]),
                proto=e(s["measured_with"]), cls_=e(s["classification"].replace("_", " ").replace("icmp", "ICMP")),
                fo=e(outage_text(s["failover"], result["interval_s"])), fb=e(outage_text(s["failback"], result["interval_s"])),
                pb=e(_path_cell(pb)), pa=e(_path_cell(pa)),
                rtt="-" if s["rtt_change_ms"] is None else f"{s['rtt_before_ms']:.2f} → {s['rtt_after_ms']:.2f} ms",
                v=e(s["verdict"]), why=e("; ".join(s["reasons"] + s.get("notes", [])))))
    steps = "".join(f"<li>{e(k)}: {e(v.get('description') or v['type'])} — {'ok' if v['ok'] else 'FAILED ' + e(str(v['error']))}"
                    f" at +{v['started_rel_s'] if v['started_rel_s'] is not None else '-'} s</li>" for k, v in result["steps"].items())
    phases = "".join(f"<li>{e(p['phase'])}: {'ok' if p['ok'] else 'FAILED'} {e(p['note'])}</li>" for p in result["phases"])
    engine = "".join(f"<li>{e(k)}: {v['rate_pps']} probes/s, send lateness p99 "
                     f"{(v['lateness']['p99_ms'] or 0):.2f} ms, max {(v['lateness']['max_ms'] or 0):.2f} ms, "
                     f"{e(v['trust_note'])}{e(' stalls: ' + str(v['stalls'])) if v.get('stalls') else ''}</li>"
                     for k, v in result["engine"].items())
    path_probes = "".join(f"<li>{e(k)}: {v['answered']} of {v['sent']} path probes answered</li>"
                          for k, v in (result.get("path_probes") or {}).items()) or "<li>no path checks</li>"
    prov = " · ".join(e(f"{k}: {result.get(f) or '-'}") for k, f in (
        ("tested", "started_iso"), ("operator", "operator"), ("plan", "plan_file"),
        ("plan SHA-256", "plan_sha256"), ("oamkit", "oamkit_version")))
    summary = "".join(f"<li>{e(x)}</li>" for x in result["summary"]) or (
        "<li>every site failed over (seen on the failover path, or lost connectivity after the trigger) "
        "and back as expected</li>" if result["verdict"] == "PASS" else "")
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(result['plan'])}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px}} tr.fail td{{background:#ffebee}} tr.pass td{{background:#e8f5e9}}
tr.other td{{background:#fff8e1}} .verdict{{color:{color};font-size:28px}}</style>
</head><body><h1>{e(result['plan'])}</h1><div class="verdict"><b>{e(result['verdict'])}</b></div>
<p>{prov}</p>
<ul>{summary}</ul><img alt="timeline" style="max-width:100%" src="data:image/png;base64,{img}">
<h2>Sites</h2><table><tr><th>site</th><th>target</th><th>probe</th><th>class</th><th>failover outage</th>
<th>failback outage</th><th>path before</th><th>path after</th><th>RTT p50</th><th>verdict</th><th>why</th></tr>
{''.join(rows)}</table>{degrade_html(result)}<h2>Steps</h2><ul>{steps}</ul><h2>Phases</h2><ul>{phases}</ul>
<h2>Probe engine</h2><ul>{engine}</ul><h2>Path probes</h2><ul>{path_probes}</ul><p>Probes every
{result['interval_s'] * 1e3:.0f} ms per site. {e(OUTAGE_MEANING[0].upper() + OUTAGE_MEANING[1:])}. A site
PASSes only when it was seen to fail over: on the failover path, or by an outage after the trigger.
ICMP errors are diagnostics only (in the JSON report).</p></body></html>"""
    write_replacing(path, page)
    return path


REPORT_NAMES = ("{stem}.json", "{stem}.junit.xml", "{stem}-timeline.png", "{stem}.html")


def report_problems(directory: str | Path, stem: str = "drtest") -> list[str]:
    """Why the reports could not be written into `directory`, found before the DR test runs
    (its folder is made now): afterwards, the test's result would be lost with them."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [f"{d}: the report folder cannot be made: {exc.strerror}"]
    names = [n.format(stem=stem) for n in REPORT_NAMES]
    # the folder is tried once (a file made and removed), each report's own path after that
    return [f"{d / name}: {problem}" for i, name in enumerate(names)
            if (problem := output_problem(d / name, try_folder=i == 0))]


def write_reports(result: dict, directory: str | Path, stem: str = "drtest") -> dict[str, Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out = {"json": write_json(result, d / f"{stem}.json"), "junit": write_junit(result, d / f"{stem}.junit.xml")}
    out["png"] = write_png(result, d / f"{stem}-timeline.png")
    out["html"] = write_html(result, d / f"{stem}.html", out["png"])
    return out
