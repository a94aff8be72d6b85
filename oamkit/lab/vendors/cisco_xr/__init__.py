"""The Cisco IOS-XR personality of the lab: ``grammar`` (its command rules and checks), ``show``
(its output layouts), ``session`` (its prompts, errors and the handlers only it has).
``PERSONALITY`` is what the lab looks the platform up by (``oamkit.lab.vendors``), with the
validator its commits run over the whole candidate."""
from __future__ import annotations

from oamkit.lab.terminal import Personality
from oamkit.lab.vendors.cisco_xr.grammar import grammar, xr_validate
from oamkit.lab.vendors.cisco_xr.session import XrSession

PERSONALITY = Personality("cisco_xr", XrSession, grammar, xr_validate)
