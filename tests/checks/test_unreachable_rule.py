"""`unreachable: ok` in a rules file made a host that cannot be read OK (Nagios exit 0) while
the same run's Prometheus series said UNKNOWN: a host that cannot be read is never OK, so the
rules file is refused when it loads, before any device is contacted."""
from __future__ import annotations

import pytest

from oamkit.checks import Rules
from oamkit.errors import InputError
from tests.checks.test_check_lab import env, oamkit  # noqa: F401


@pytest.mark.parametrize("value", ["ok", "OK"])
def test_unreachable_ok_is_refused_naming_file_key_value_and_what_is_allowed(tmp_path, value):
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"rules:\n  unreachable: {value}\n")
    with pytest.raises(InputError) as caught:
        Rules.load(rules)
    text = str(caught.value)
    for part in (str(rules), "unreachable", value, "never OK", "warning, critical, unknown"):
        assert part in text, text


@pytest.mark.parametrize("value", ["warning", "critical", "unknown"])
def test_unreachable_may_alert_harder(tmp_path, value):
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"unreachable: {value}\n")
    assert Rules.load(rules).unreachable == value


def test_check_refuses_it_before_contacting_any_device(lab, lab_inventory, env, tmp_path):  # noqa: F811
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  unreachable: ok\n")
    plain = oamkit(env, "check", "-i", str(lab_inventory), "--rules", str(rules))
    assert plain.returncode == 2, plain.stdout + plain.stderr
    assert str(rules) in plain.stderr and "unreachable" in plain.stderr, plain.stderr
    nagios = oamkit(env, "check", "-i", str(lab_inventory), "--rules", str(rules),
                    "--format", "nagios")
    assert nagios.returncode == 3, nagios.stdout + nagios.stderr
    assert nagios.stdout.startswith("OAMKIT UNKNOWN - "), nagios.stdout
    assert "unreachable" in nagios.stdout
    for device in lab.devices.values():
        assert not [e for e in device.transcript if e.direction == "in"], device
