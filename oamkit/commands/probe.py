"""`oamkit probe TARGET...`: ad-hoc reachability and outage probing (fping -o style)."""
from __future__ import annotations

import typer

from oamkit.commands._common import stdout_console, print_json
from oamkit.errors import InputError, Problem
from oamkit.textout import DataTable

console = stdout_console()


def probe(
    targets: list[str] = typer.Argument(..., help="IPv4 addresses: loopback, addresses inside an oamkit lab, or inside --allow."),
    proto: str = typer.Option("icmp", "--proto", help="icmp | tcp:PORT | udp:PORT"),
    interval: str = typer.Option("10ms", "--interval", help="Per-target interval with its unit, e.g. 10ms, 2ms, 1s (a bare number is refused)."),
    count: int = typer.Option(100, "--count", "-c", min=1, help="Probes per target (bounded)."),
    netns: str = typer.Option(None, "--netns", help="Lab namespace to probe from (default: the current one)."),
    # bounded as a playbook's probe step is: every probe loop ends within known time
    timeout: float = typer.Option(1.0, "--timeout", min=0.001, max=10.0,
                                  help="Seconds an answer may take (at most 10)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    trace: bool = typer.Option(False, "--trace", help="Discover the path instead: one TTL-limited probe per hop."),
    max_ttl: int = typer.Option(8, "--max-ttl", min=1, max=30, help="Deepest hop for --trace."),
    allow: list[str] = typer.Option(None, "--allow", help="CIDR (or address: /32) every target must be in; repeatable. "
                                    "With it, targets outside oamkit labs may be probed from this machine."),
    source: str = typer.Option(None, "--source", help="Send every probe from this local address."),
    interface: str = typer.Option(None, "--interface", help="Send every probe out of this interface."),
    max_target_pps: float = typer.Option(2000, "--max-target-pps", min=0.001, max=2000,
                                         help="Ceiling of packets per second to any one target (at most 2000)."),
) -> None:
    """Probe targets on a fixed schedule; report loss, RTT percentiles, outage (lost × interval
    ± one interval) and every loss burst. ICMP errors are shown as diagnostics, never as answers."""
    # here, not at the top: the probe engine (numpy) would slow every other command's start
    from oamkit.probe.analysis import run_summary, slot_stats
    from oamkit.probe.engine import ProbeEngine, Slot
    from oamkit.probe.proto import ProbeProto, parse_interval

    try:       # a bare number (10 probes at 10 s meant as 10 ms) is refused there
        iv = parse_interval(interval)
    except ValueError as exc:
        raise InputError([Problem(str(exc), field="--interval", value=interval)]) from None
    try:
        p = ProbeProto.parse(proto)
    except ValueError as exc:
        raise InputError([Problem(str(exc), field="--proto", value=proto)]) from None
    from oamkit.dr.plan import Source
    from oamkit.probe.safety import parse_allow

    allow_nets = parse_allow(allow) if allow else None
    try:
        Source(address=source, interface=interface)
    except ValueError as exc:
        raise InputError([Problem(str(exc).splitlines()[-1].strip(), field="--source/--interface",
                                  value=source or interface)]) from None
    pin = {"source": source, "device": interface, "allow": allow_nets}
    if trace:
        from oamkit.probe.trace import trace_paths

        paths = trace_paths([Slot(t, p) for t in dict.fromkeys(targets)], list(range(1, max_ttl + 1)),
                            netns=netns, timeout=min(timeout, 2.0), **pin)
        out = [x.as_dict(max_ttl) for x in paths]
        if as_json:
            print_json(out)
        else:
            for x in out:
                console.print(f"{x['target']} ({x['proto']}): " + " -> ".join(x["hops"]), highlight=False)
        if any(x["reached_at"] is None for x in out):
            raise SystemExit(1)
        return
    engine = ProbeEngine([Slot(t, p) for t in dict.fromkeys(targets)], iv, count, netns=netns, timeout=timeout,
                         max_target_pps=max_target_pps, **pin)
    engine.start()
    interrupted = False
    try:
        run = engine.finish()
    except KeyboardInterrupt:   # what was measured is reported, then the exit of Ctrl-C
        interrupted = True
        engine.stop()
        run = engine.finish(grace=0.2)
    summary = run_summary(run)
    stats = [slot_stats(run, i) for i in range(len(run.slots))]
    for s in stats:
        if (hint := _rate_limited_answers(s)) is not None:
            s["hint"] = hint
    diags = [{"t_rel_s": round(d.ts - run.t0, 4), "what": d.describe(),
              "target": run.slots[d.slot].addr if 0 <= d.slot < len(run.slots) else None} for d in run.diagnostics]
    if as_json:
        print_json({"engine": summary, "targets": stats, "diagnostics": diags,
                    "interrupted": interrupted})
    else:
        table = DataTable(title=f"{proto} every {iv * 1e3:g} ms, {count} probes per target")
        for col in ("target", "sent", "answered", "loss", "rtt p50/p90/p99 ms", "outage", "bursts"):
            table.add_column(col)
        for s in stats:
            r = s["rtt_ms"]
            rtt = "-" if r["p50"] is None else f"{r['p50']:.3f}/{r['p90']:.3f}/{r['p99']:.3f}"
            bursts = ", ".join(f"{b['lost']}@+{b['start_rel_s']:.3f}s" for b in s["bursts"][:6])
            if len(s["bursts"]) > 6:
                bursts += f" (+{len(s['bursts']) - 6} more)"
            table.add_row(s["target"], str(s["sent"]), str(s["answered"]), f"{s['loss_pct']:.1f}%", rtt,
                          f"{s['outage_s'] * 1e3:.0f} ± {iv * 1e3:g} ms", bursts or "-")
        console.print(table)
        lat = summary["lateness"]
        console.print(f"engine: {summary['rate_pps']:.0f} probes/s, scheduler {summary['scheduler']}, send lateness "
                      f"p50 {lat['p50_ms'] or 0:.3f} ms p99 {lat['p99_ms'] or 0:.3f} ms max {lat['max_ms'] or 0:.3f} ms")
        for s in stats:
            if "hint" in s:
                console.print(f"[yellow]{s['target']} {s['proto']}: {s['hint']}[/]", highlight=False)
        for d in diags[:20]:
            console.print(f"diagnostic +{d['t_rel_s']:.3f}s {d['target']}: {d['what']}")
        if not summary["trusted"]:
            console.print(f"[bold yellow]NOT TRUSTED: {summary['trust_note']}[/]")
    if interrupted:
        raise SystemExit(130)
    if not summary["trusted"]:
        raise SystemExit(3)
    if any(s["answered"] == 0 for s in stats):
        raise SystemExit(1)


PORT_UNREACHABLE = 5      # ANSWER_KINDS: the target's ICMP error, an answer to a UDP probe


def _rate_limited_answers(s: dict) -> str | None:
    """Loss over UDP to a closed port answered by port-unreachable errors: the target sends
    those at its ICMP error rate (Linux: a burst of 6, then 1/s), not at the probe rate."""
    if not (s["proto"].startswith("udp:") and s["lost"] and PORT_UNREACHABLE in s["answer_kinds"]):
        return None
    return ("answered by ICMP port-unreachable (a closed port): the target rate-limits ICMP errors "
            "(Linux: a burst of 6, then 1/s), so this loss is that limit, not an outage; probe an open "
            "port, tcp:PORT or icmp to measure an outage")


def register(app: typer.Typer) -> None:
    app.command("probe")(probe)

