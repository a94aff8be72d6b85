"""The Juniper Junos personality of the lab: ``grammar`` (its command rules and checks), ``show``
(its output layouts), ``session`` (its prompts, errors and the handlers only it has).
``PERSONALITY`` is what the lab looks the platform up by (``oamkit.lab.vendors``), with the
validator its commits run over the whole candidate."""
from __future__ import annotations

from oamkit.lab.terminal import Personality
from oamkit.lab.vendors.juniper_junos.grammar import grammar, junos_validate
from oamkit.lab.vendors.juniper_junos.session import JunosSession

PERSONALITY = Personality("juniper_junos", JunosSession, grammar, junos_validate)
