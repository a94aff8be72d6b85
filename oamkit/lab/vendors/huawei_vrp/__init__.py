"""The Huawei VRP8 personality of the lab: ``grammar`` (its command rules and checks), ``show``
(its output layouts), ``session`` (its prompts, errors and the handlers only it has).
``PERSONALITY`` is what the lab looks the platform up by (``oamkit.lab.vendors``)."""
from __future__ import annotations

from oamkit.lab.terminal import Personality
from oamkit.lab.vendors.huawei_vrp.grammar import grammar
from oamkit.lab.vendors.huawei_vrp.session import HuaweiSession

PERSONALITY = Personality("huawei_vrp", HuaweiSession, grammar)
