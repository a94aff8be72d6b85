"""One lab for the whole campaign: four emulated devices whose transcripts show whether a case
sent anything, and the inventory every case starts from (copied per case)."""
from __future__ import annotations

import pytest

from oamkit.lab.server import Lab


@pytest.fixture(scope="module")
def shared_lab():
    running = Lab(devices=4, time_scale=0.01).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def base_inventory(shared_lab, tmp_path_factory):
    return shared_lab.write_inventory(tmp_path_factory.mktemp("badinput-base") / "inventory")
