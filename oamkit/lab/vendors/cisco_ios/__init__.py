"""The Cisco IOS personality of the lab: ``grammar`` (its command rules and checks), ``show``
(its output layouts), ``session`` (its prompts, errors and the handlers only it has).
``PERSONALITY`` is what the lab looks the platform up by (``oamkit.lab.vendors``)."""
from __future__ import annotations

from oamkit.lab.terminal import Personality
from oamkit.lab.vendors.cisco_ios.grammar import grammar
from oamkit.lab.vendors.cisco_ios.session import IosSession

PERSONALITY = Personality("cisco_ios", IosSession, grammar)
