"""The lab's vendor personalities, one package each: ``cisco_ios``, ``cisco_xr``,
``juniper_junos``, ``huawei_vrp``. Each holds its command grammar (``grammar.py``), its show or
display output (``show.py``), the session handlers only that vendor has (``session.py``) and,
in its ``__init__``, the ``PERSONALITY`` joining them.

The vendor-neutral layers (the terminal in ``oamkit.lab.terminal``, the grammar engine in
``oamkit.lab.grammar``, ``oamkit.lab.show_common``) never import a vendor; this package is
where the rest of the lab looks a platform up.
"""
from __future__ import annotations

from oamkit.lab.grammar import Grammar
from oamkit.lab.terminal import Personality
from oamkit.lab.vendors import cisco_ios, cisco_xr, huawei_vrp, juniper_junos

PERSONALITIES: dict[str, Personality] = {
    v.PERSONALITY.platform: v.PERSONALITY for v in (cisco_ios, cisco_xr, juniper_junos, huawei_vrp)}

# commit-time checks of the platforms that validate a candidate as a whole
VALIDATORS = {name: p.validator for name, p in PERSONALITIES.items() if p.validator is not None}


def grammar_for(platform: str) -> Grammar:
    return PERSONALITIES[platform].grammar()
