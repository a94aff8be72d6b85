"""The sites of a DR test: each one's state through the run (`SiteState`), what the
baseline decides for it (`judge_baseline`): reachable or not, and which protocol measures it,
and what a watch's outages say about it (`judge_outage`, the failover and failback alike).

Routers police ICMP (a control-plane rate limit): a steady loss measured as an outage would
never recover. So a protocol must answer cleanly to measure a site; a lossy one gives way to a
clean fallback, with a note, and without one the loss is named."""
from __future__ import annotations

from dataclasses import dataclass, field

from oamkit.dr.plan import Site
from oamkit.probe.analysis import RECOVERED_ANSWERED
from oamkit.probe.proto import ProbeProto

# a protocol losing more than this share of its baseline probes (a router's ICMP rate limit)
# is not measured when a fallback answers within it: its steady loss would read as outages
CLEAN_LOSS = 0.01


def _proto_name(p: str) -> str:
    return "ICMP" if p == "icmp" else p


def _loss_text(s: dict) -> str:
    lost = s["sent"] - s["answered"]
    return f"{s['answered']}/{s['sent']} answered, persistent {100.0 * lost / s['sent']:.0f} % loss"


def _fallback_text(fb: str | None, s: dict | None) -> str:
    if not fb:
        return " (no fallback in the plan)"
    if not s or not s["sent"]:
        return f" ({fb} not probed)"
    return f" (fallback {fb}: {s['answered']}/{s['sent']}, not clean either)"


@dataclass
class SiteState:
    site: Site
    measure: ProbeProto
    classification: str = "unknown"       # ok | icmp_filtered | down
    reachable_before: bool = False
    reachable_after: bool | None = None
    path_before: dict | None = None
    path_after: dict | None = None
    path_failback: dict | None = None
    rtt_before_ms: float | None = None
    rtt_after_ms: float | None = None
    failover: dict | None = None
    failback: dict | None = None
    degradation: dict | None = None         # degrade trigger: loss/RTT while degraded, predicted vs measured
    baseline: dict = field(default_factory=dict)
    diagnostics: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)    # why the site fails
    notes: list[str] = field(default_factory=list)      # worth knowing, not a failure


def _reachable(s: dict | None) -> bool:
    """At least 80 % of the baseline probes answered."""
    return bool(s and s["sent"] and s["answered"] >= 0.8 * s["sent"])


def _clean(s: dict | None) -> bool:
    """Measurable: at most one loss in a hundred."""
    return bool(s and s["sent"] and s["sent"] - s["answered"] <= max(1, CLEAN_LOSS * s["sent"]))


def judge_baseline(st: SiteState, stats: dict[str, dict]) -> str:
    """Set the site's baseline, reachability, classification and measuring protocol from its
    baseline probes (`stats`: protocol -> slot_stats); -> the protocol that measures it."""
    ok, clean = _reachable, _clean
    st.baseline = {p: {"answered": s["answered"], "sent": s["sent"], "rtt_p50_ms": s["rtt_ms"]["p50"]}
                   for p, s in stats.items()}

    main = str(st.measure)
    fb = st.site.fallback
    if ok(stats.get(main)) and clean(stats.get(main)):
        st.reachable_before = True
        st.classification = "ok" if main == "icmp" or ok(stats.get("icmp")) else "icmp_filtered"
    elif fb and (clean(stats.get(fb)) or (ok(stats.get(fb)) and not ok(stats.get(main)))):
        # lossy or unanswered: a router's ICMP rate limit (or a filter) would read as
        # an outage that never recovers; the fallback that answers every probe measures
        st.reachable_before = True
        m = stats.get(main) or {}
        if m.get("answered"):
            st.classification = "ok"
            st.notes.append(f"{_proto_name(main)} lossy at baseline ({m['answered']}/{m['sent']}, "
                            f"a rate limit?): measured over {fb}")
        else:
            st.classification = "icmp_filtered" if main == "icmp" else "ok"
            st.notes.append(f"{main} unanswered at baseline; measured with {fb}")
        st.measure = ProbeProto.parse(fb)
        main = fb
    elif ok(stats.get(main)):
        # lossy, and no fallback answers cleanly: measured as it is, the loss named
        st.reachable_before = True
        st.classification = "ok" if main == "icmp" or ok(stats.get("icmp")) else "icmp_filtered"
        st.notes.append(f"{_proto_name(main)} lossy at baseline: {_loss_text(stats[main])}, a rate limit?"
                        f"{_fallback_text(fb, stats.get(fb))}")
    else:
        st.classification = "down"
        m = stats.get(main) or {}
        st.reasons.append("not reachable at baseline" if not m.get("answered") else
                          f"{_proto_name(main)} lossy at baseline: {_loss_text(m)}"
                          f"{_fallback_text(fb, stats.get(fb))}")
    return main


def flap_text(o: dict, t_step_rel: float, after: str = "the trigger") -> str:
    """'' for at most one outage; else what a flap looks like: each outage, timed from the
    step (`after`), and that they are added up."""
    outages = o.get("outages") or []
    if len(outages) < 2:
        return ""
    each = [f"+{x['start_rel_s'] - t_step_rel:.2f}..+{x['end_rel_s'] - t_step_rel:.2f} s" for x in outages[:5]]
    at = ", ".join(each[:-1]) + " and " + each[-1] + (", ..." if len(outages) > 5 else "")
    return (f"flapped: connectivity lost {len(outages)} times after {after}, at {at}; "
            f"the outage is their sum")


def judge_outage(st: SiteState, o: dict, *, after: str, bound: float, bound_key: str, settle: float,
                 t_step_rel: float) -> str | None:
    """Judge one site's outages in the watch after a step (`after`: 'the trigger' or 'the
    restore'), against `bound` (the plan key `bound_key`): every outage counts and a flap is
    their sum; a lone lost probe is scattered loss, noted, never an outage. Adds the site's
    reasons and notes; -> "lost" (not recovered by the end of the watch), "slow" (the outages
    add up to more than the bound) or None."""
    flap = flap_text(o, t_step_rel, after)
    verdict = None
    if not o["recovered"] and o["lost"] == 0:
        verdict = "lost"       # no outage, but lossy to the end: not steady either
        st.reasons.append(f"not recovered within {bound:g} s ({bound_key}) after {after}: "
                          f"{o.get('tail_loss_pct', 100.0):g}% of the probes in its last {settle:g} s lost "
                          f"(recovered: at most {100 * (1 - RECOVERED_ANSWERED):.0f}%)")
    elif not o["recovered"]:
        verdict = "lost"
        st.reasons.append(f"no connectivity after {after} (lost {o['outage_s'] * 1e3:.0f}+ ms, not recovered "
                          f"within {bound:g} s)" + (f"; {flap}" if flap else ""))
    elif o["outage_s"] > bound:
        verdict = "slow"
        st.reasons.append(f"outage {o['outage_s'] * 1e3:.0f} ms after {after} exceeds the bound "
                          f"{bound * 1e3:.0f} ms ({bound_key})" + (f" ({flap})" if flap else ""))
    elif flap:
        st.notes.append(flap)
    if o.get("scattered_lost"):
        st.notes.append(f"{o['scattered_lost']} lone lost probe(s) after {after}: scattered loss "
                        f"(ICMP rate limits, random drops), not counted as outage")
    return verdict
