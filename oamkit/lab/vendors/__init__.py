"""The lab's vendor personalities, one package each: ``cisco_ios``, ``cisco_xr``,
``juniper_junos``, ``huawei_vrp``. Each holds its command grammar (``grammar.py``), its show or
display output (``show.py``) and the session handlers only that vendor has (``session.py``).

The vendor-neutral layers (the terminal in ``oamkit.lab.terminal``, the grammar engine in
``oamkit.lab.grammar``) never import a vendor; this package is where the lab looks a platform
up: ``grammar_for(platform)`` and the commit-time ``VALIDATORS``.
"""
from __future__ import annotations

from typing import Callable

from oamkit.lab.grammar import Grammar
from oamkit.lab.vendors.cisco_ios import grammar as ios_grammar
from oamkit.lab.vendors.cisco_xr import grammar as xr_grammar
from oamkit.lab.vendors.huawei_vrp import grammar as vrp_grammar
from oamkit.lab.vendors.juniper_junos import grammar as junos_grammar

GRAMMARS: dict[str, Callable[[], Grammar]] = {
    "cisco_ios": ios_grammar.grammar, "cisco_xr": xr_grammar.grammar,
    "juniper_junos": junos_grammar.grammar, "huawei_vrp": vrp_grammar.grammar}

# commit-time checks of the platforms that validate a candidate as a whole
VALIDATORS = {"juniper_junos": junos_grammar.junos_validate, "cisco_xr": xr_grammar.xr_validate}


def grammar_for(platform: str) -> Grammar:
    return GRAMMARS[platform]()
