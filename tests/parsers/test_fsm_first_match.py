"""The parse FSM's one-regex-per-state rule finder picks the same rule as TextFSM's own loop:
every template oamkit parses with (its own and the ntc-templates ones it uses), run over every
parser fixture of any platform (matching pairs and mismatched ones, which reach error rules and
unknown lines), gives the same records, record spans, unknown lines and errors as TextFSM."""
from __future__ import annotations

from pathlib import Path

import textfsm

from oamkit.parse.fsm import TrackingFSM
from oamkit.parse.index import SPECS, open_template

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "parsers"


def _run(fsm, text: str):
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as exc:
        return ("error", str(exc), getattr(fsm, "line_index", None))
    extra = (fsm.record_spans, fsm.unknown, fsm._cur_state_name) if isinstance(fsm, TrackingFSM) else ()
    return ("rows", rows, extra)


def test_the_first_matching_rule_is_textfsms_on_every_template_and_fixture():
    texts = [raw.read_text().replace("\r\n", "\n") for raw in sorted(FIXTURES.glob("*/*/*.raw"))]
    assert len(texts) >= 60 and len(SPECS) >= 10
    joined = 0
    for template in sorted(SPECS):
        with open_template(template) as handle:
            fast = TrackingFSM(handle, join_after=0)   # joined from the first line
        with open_template(template) as handle:
            loop = TrackingFSM(handle, join_after=None)   # TextFSM's loop, rule by rule
        with open_template(template) as handle:
            plain = textfsm.TextFSM(handle)
        for text in texts:
            got, want = _run(fast.reset(), text), _run(loop.reset(), text)
            joined += sum(p is not None for p in fast._decided.values())
            assert got == want, (template, text[:200])
            plain.Reset()
            reference = _run(plain, text)
            if reference[0] == "rows" and not fast.unknown:   # our catch-all skip aside
                assert got[1] == reference[1], (template, text[:200])
    assert joined > 0   # the finders are in use, not only the fallback


def test_fsms_kept_between_parses_are_never_shared_by_two_parses_at_once():
    """An FSM holds the parse in progress; kept FSMs go to one parse at a time, from any thread
    (a fleet's worker threads, and the next run's new ones)."""
    from concurrent.futures import ThreadPoolExecutor

    from oamkit.parse import parse_output
    from oamkit.parse.fsm import _idle

    raws = sorted(FIXTURES.glob("cisco_ios/show_ethernet_oam_statistics/*.raw"))[:3] + \
        sorted(FIXTURES.glob("juniper_junos/*/*.raw"))[:3]
    assert len(raws) == 6

    def parsed(raw):
        platform, command = raw.parts[-3], raw.parts[-2].replace("_", " ")
        try:
            return repr(parse_output(platform, command, raw.read_text()).records)
        except Exception as exc:  # noqa: BLE001 - the same error each time is as good
            return f"{type(exc).__name__}: {exc}"

    alone = [parsed(raw) for raw in raws]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(parsed, raws * 40))
    assert together == alone * 40
    kept = {template: len(fsms) for template, fsms in _idle.items()}
    assert kept and max(kept.values()) <= 8   # no more than ran at once
