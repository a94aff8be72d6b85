"""Bad playbooks (`oamkit run`) and DR plans (`oamkit drtest`). A playbook's device steps would
contact the lab; a DR plan's probes go to loopback only, its action steps to the lab."""
from __future__ import annotations

import copy

from .campaign import GROUPS, HOSTS, case, put, remove, write

I = "-i {inv}"
PLAY = "{ws}/play.yaml"
PLAN_FILE = "{ws}/plan.yaml"


def play(*steps, **top) -> object:
    """A setup writing play.yaml: a diff first (it would log in to every device), then `steps`."""
    body = {"name": "bad play", **top, "steps": [{"diff": {}}, *steps]}
    return write("play.yaml", body)


def run(*extra: str) -> list[str]:
    return ["run", "{ws}/play.yaml", "-i", "{inv}", *extra]


GOOD_PLAN = {"name": "loopback", "interval": "10ms",
             "sites": [{"name": "a", "target": "127.0.0.1"}],
             "trigger": {"type": "command", "command": ["true"]},
             "restore": {"type": "command", "command": ["true"]}}
SHUT = {"type": "action", "action": "interface-shutdown", "device": "ios-1",
        "args": {"interface": "GigabitEthernet0/1"}}
OPEN = dict(SHUT, action="interface-no-shutdown")


def plan(**changes) -> object:
    """A setup writing plan.yaml: the good plan with `changes` (key -> value; None deletes)."""
    body = copy.deepcopy(GOOD_PLAN)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return write("plan.yaml", body)


def site(**fields) -> list[dict]:
    return [{"name": "a", "target": "127.0.0.1", **fields}]


DRTEST = ["drtest", "{ws}/plan.yaml"]


def _link_in_report_folder(ws) -> None:
    """A link where the JSON report goes (to a file that is not the report's)."""
    folder = ws.path("rep")
    folder.mkdir(exist_ok=True)
    (folder / "drtest.json").symlink_to(ws.path("plan.yaml"))

CASES = [
    # ------------------------------------------------------------ run: files
    case("run-playbook-missing", ["run", "{ws}/absent.yaml", "-i", "{inv}"],
         "{ws}/absent.yaml: playbook not found"),
    case("run-playbook-is-a-folder", ["run", "{inv}", "-i", "{inv}"], "{inv}: is a folder, not a playbook file"),
    case("run-playbook-yaml-syntax", run(), f"{PLAY}:4: not valid YAML",
         setup=write("play.yaml", "name: x\nsteps:\n  - diff: {limit: [ios-1\n")),
    case("run-playbook-not-a-mapping", run(), f"{PLAY}:1: a playbook is a mapping with steps:",
         setup=write("play.yaml", "- diff: {}\n")),
    case("run-playbook-duplicate-key", run(), f"{PLAY}", "duplicate key 'steps'",
         setup=write("play.yaml", "steps:\n  - diff: {}\nsteps:\n  - push: {}\n")),
    case("run-playbook-no-steps", run(), f"{PLAY}:2: steps: List should have at least 1 item",
         setup=write("play.yaml", {"name": "empty", "steps": []})),
    case("run-playbook-unknown-top-key", run(), f"{PLAY}:2: stpes: unknown key",
         setup=write("play.yaml", "name: x\nstpes:\n  - diff: {}\nsteps:\n  - diff: {}\n")),
    case("run-playbook-inventory-missing", ["run", "{ws}/play.yaml"], "{ws}/nowhere: inventory folder not found",
         setup=write("play.yaml", {"inventory": "nowhere", "steps": [{"diff": {}}]})),
    case("run-vars-not-a-mapping", run(), f"{PLAY}:2: vars: vars must be a mapping",
         setup=write("play.yaml", "name: x\nvars: [a, b]\nsteps:\n  - diff: {}\n")),
    # ------------------------------------------------------------ run: steps
    case("run-step-type-unknown", run(), f"{PLAY}:", "steps[1].reboot: unknown step type or key",
         setup=play({"reboot": {}})),
    case("run-collect-timeout-too-long", run(), f"{PLAY}:", "collect.timeout",
         "less than or equal to 86400", setup=play({"collect": {"timeout": 100000}})),
    # a typo in an assertion: found at load time, not after the push before it had run
    case("run-assert-var-typo", run(), f"{PLAY}:", "steps[1].assert.that[0]", "'canry == 1' names 'canry'",
         setup=write("play.yaml", {"vars": {"canary": 1},
                                   "steps": [{"diff": {}}, {"assert": {"that": ["canry == 1"]}}]})),
    case("run-assert-unregistered-result", run(), f"{PLAY}:", "steps[1].assert.that[0]",
         "'results.rolout' (no step before it registers 'rolout')",
         setup=write("play.yaml", {"steps": [{"diff": {}, "register": "rollout"},
                                             {"assert": {"that": ["results.rolout.exit_code == 0"]}}]})),
    case("run-step-two-types", run(), "steps[1]", "a step has exactly one type", "found diff, push",
         setup=play({"diff": {}, "push": {}})),
    case("run-step-no-type", run(), "steps[1]", "a step has exactly one type", "found none",
         setup=play({"name": "forgot the type"})),
    case("run-push-option-typo", run(), "steps[1].push.canery: unknown key", "allowed: ",
         setup=play({"push": {"canery": 1}})),
    case("run-push-canary-negative", run(), "steps[1].push.canary", "(got -1)",
         setup=play({"push": {"canary": -1}})),
    case("run-push-timeout-infinite", run(), "steps[1].push.timeout", "finite",
         setup=play({"push": {"timeout": float("inf")}})),
    case("run-push-workers-text", run(), "steps[1].push.workers", "(got 'all')",
         setup=play({"push": {"workers": "all"}})),
    case("run-push-confirm-timeout-short", run(), "steps[1].push.confirm_timeout", "(got 5)",
         setup=play({"push": {"confirm_timeout": 5}})),
    case("run-render-format-unknown", run(), "steps[1].render.format", "(got 'json')",
         setup=play({"render": {"format": "json"}})),
    case("run-register-bad-name", run(), "steps[1].register", "(got 'my-result')",
         setup=play({"diff": {}, "register": "my-result"})),
    case("run-wait-not-a-duration", run(), "steps[1].wait", "a duration",
         setup=play({"wait": "forever"})),
    case("run-wait-too-long", run(), "steps[1].wait: Input should be less than or equal to 86400",
         "(got 172800.0)", setup=play({"wait": "48h"})),
    case("run-wait-negative", run(), "steps[1].wait", "must not be negative", setup=play({"wait": -5})),
    case("run-filter-on-a-wait-step", run(), "steps[1]", "filter/limit select hosts; a wait step has none",
         setup=play({"wait": "1s", "filter": "platform=cisco_ios"})),
    case("run-filter-without-operator", run(), "steps[1].filter", "a filter is KEY=VALUE",
         "'platform'", setup=play({"diff": {}, "filter": ["platform"]})),
    case("run-limit-unknown-host", run(), "play.yaml:5: steps[1].--limit: --limit names unknown host(s): ios-9",
         setup=play({"push": {}, "limit": "ios-9"})),
    case("run-play-filter-matches-nothing", run(), "steps[0].filter/limit: no host matches the selection",
         setup=play(filter="platform=cisco_nxos")),
    case("run-maintenance-on-without-until", run(), "steps[1].maintenance", "state on needs until and reason",
         setup=play({"maintenance": {"state": "on"}})),
    case("run-maintenance-until-not-a-time", run(), "steps[1].maintenance.until", "not a time",
         setup=play({"maintenance": {"state": "on", "until": "soonish", "reason": "swap optics"}})),
    case("run-maintenance-until-past", run(), "steps[1].maintenance.until", "in the past",
         setup=play({"maintenance": {"state": "on", "until": "2001-01-01T00:00Z", "reason": "swap optics"}})),
    case("run-maintenance-until-past-a-timedelta", run("--check"), "steps[1].maintenance.until",
         "more than a year ahead (at most 1 year)",
         setup=play({"maintenance": {"state": "on", "until": "99999999999d", "reason": "swap optics"}})),
    case("run-check-rules-missing", run(), "play.yaml:5: steps[1].--rules: {ws}/rules-gone.yaml: rules file not found",
         setup=play({"check": {"rules": "rules-gone.yaml"}})),
    case("run-drtest-plan-missing", run(), "play.yaml:5: steps[1]: {ws}/plan-gone.yaml: cannot read",
         setup=play({"drtest": {"plan": "plan-gone.yaml"}})),
    case("run-drtest-action-unknown-device", run(), "play.yaml:5: steps[1].trigger.device: plan.yaml: not in the inventory",
         "(got 'ios-9')",
         setup=[plan(trigger=dict(SHUT, device="ios-9"), restore=OPEN),
                play({"drtest": {"plan": "plan.yaml"}})]),
    # a drtest step's bounds (those `oamkit drtest` checks before its first probe), refused at
    # load: they were found at the step, after the steps before it had changed devices
    case("run-drtest-trigger-program-missing", run(), "play.yaml:5: steps[1].trigger.command: plan.yaml: no such program",
         "(got '/nonexistent/cut-wan')",
         setup=[plan(trigger={"type": "command", "command": ["/nonexistent/cut-wan", "wan1"]}),
                play({"drtest": {"plan": "plan.yaml"}})]),
    case("run-drtest-target-not-allow-listed", run(), "play.yaml:5: steps[1]", "outside an oamkit lab namespace",
         "192.0.2.10", setup=[plan(sites=site(target="192.0.2.10")), play({"drtest": {"plan": "plan.yaml"}})]),
    case("run-drtest-report-file-is-a-link", run(), "play.yaml:6: steps[1].report: the report cannot be written there",
         "rep/drtest.json: is a symbolic link",
         setup=[plan(), _link_in_report_folder, play({"drtest": {"plan": "plan.yaml", "report": "rep"}})]),
    case("run-probe-target-not-an-address", run(), "steps[1]", "not an IPv4 address", "(got 'gateway')",
         setup=play({"probe": {"targets": ["gateway"], "count": 3}})),
    case("run-probe-interval-too-fast", run(), "steps[1]", "interval below the floor",
         setup=play({"probe": {"targets": ["127.0.0.1"], "interval": "0.1ms", "count": 3}})),
    case("run-push-credentials-missing", run(), "host ios-1: steps[0].credentials: no password",
         "host ios-1: steps[1].credentials: no password",
         setup=[remove("inventory/.lab-password"), play({"push": {}})]),
    # ------------------------------------------------------------ run: variables, Jinja, assertions
    case("run-undefined-variable", run(), "steps[1].push.canary", "undefined variable", "'{{ canary }}'",
         setup=play({"push": {"canary": "{{ canary }}"}})),
    case("run-jinja-class-escape", run(), "steps[1].name", "unsafe",
         setup=play({"name": "{{ ''.__class__.__mro__[1].__subclasses__() }}", "diff": {}})),
    case("run-jinja-syntax-error", run(), "steps[1].name", "template error",
         setup=play({"name": "{{ oops(", "diff": {}})),
    case("run-assert-syntax-error", run(), "steps[1].assert.that", "is not a valid expression",
         setup=play({"assert": {"that": ["result.status =="]}})),
    case("run-assert-dunder-escape", run(), "steps[1].assert.that", "reaches __subclasses__, __mro__, __class__", "unsafe",
         setup=play({"assert": {"that": ["result.__class__.__mro__[1].__subclasses__()"]}})),
    case("run-assert-empty", run(), "steps[1].assert.that", setup=play({"assert": {"that": []}})),
    case("run-extra-vars-not-key-value", run("-e", "canary"), "--extra-vars: give KEY=VALUE",
         "(got 'canary')", setup=play()),
    case("run-extra-vars-file-missing", run("-e", "@{ws}/vars-gone.yaml"), "--extra-vars: cannot read",
         "vars-gone.yaml", setup=play()),
    case("run-extra-vars-duplicate-key", run("-e", '{"a": 1, "a": 2}'), "--extra-vars",
         "duplicate key 'a'", setup=play()),
    # ------------------------------------------------------------ drtest: files and shape
    case("drtest-plan-missing", ["drtest", "{ws}/absent.yaml"], "{ws}/absent.yaml: cannot read"),
    # found out at the trigger, after the baseline had probed (and `drtest --check` said valid)
    case("drtest-trigger-program-missing", DRTEST + ["--check"], "trigger.command: no such program",
         "(got '/nonexistent/cut-wan')",
         setup=plan(trigger={"type": "command", "command": ["/nonexistent/cut-wan", "wan1"]})),
    case("drtest-restore-program-not-on-path", DRTEST, "restore.command: no such program",
         "(got 'restore-wan-nowhere')", setup=plan(restore={"type": "command", "command": "restore-wan-nowhere wan1"})),
    # found after the DR test had run (its result lost with the reports) and written through
    case("drtest-report-file-is-a-link", DRTEST + ["--report", "{ws}/rep"], "--report: the report cannot be written there",
         "rep/drtest.json: is a symbolic link", setup=[plan(), _link_in_report_folder]),
    case("drtest-plan-yaml-syntax", DRTEST, f"{PLAN_FILE}: not valid YAML",
         setup=write("plan.yaml", "sites:\n  - {name: a, target: 127.0.0.1\n")),
    case("drtest-plan-not-a-mapping", DRTEST, f"{PLAN_FILE}: a plan must be a mapping",
         setup=write("plan.yaml", "- 127.0.0.1\n")),
    case("drtest-plan-key-typo", DRTEST, f"{PLAN_FILE}: sties: ", setup=plan(sties=site())),
    case("drtest-plan-no-sites", DRTEST, f"{PLAN_FILE}: sites", setup=plan(sites=[])),
    case("drtest-plan-duplicate-site-names", DRTEST, "duplicate site names: a",
         setup=plan(sites=site() + site())),
    case("drtest-plan-duplicate-key", DRTEST, f"{PLAN_FILE}", "duplicate key 'interval'",
         setup=write("plan.yaml", "interval: 10ms\ninterval: 20ms\n")),
    # ------------------------------------------------------------ drtest: targets, timers, triggers
    case("drtest-target-host-name", DRTEST, "sites.0.target", "(got 'branch-router')",
         setup=plan(sites=site(target="branch-router"))),
    case("drtest-target-ipv6", DRTEST, "sites.0.target", "(got '::1')", setup=plan(sites=site(target="::1"))),
    case("drtest-target-not-allow-listed", DRTEST, "outside an oamkit lab namespace", "192.0.2.10",
         setup=plan(sites=site(target="192.0.2.10"))),
    case("drtest-source-netns-unknown", DRTEST, "netns: network namespace 'no-such-ns' does not exist",
         setup=plan(source={"netns": "no-such-ns"})),
    case("drtest-site-proto-unknown", DRTEST, "sites.0.proto", "unknown probe protocol", "sctp",
         setup=plan(sites=site(proto="sctp:80"))),
    case("drtest-site-fallback-port-out-of-range", DRTEST, "sites.0.fallback", "port 70000 out of range",
         setup=plan(sites=site(fallback="tcp:70000"))),
    case("drtest-path-hop-not-an-address", DRTEST, "paths.normal.hop", "(got 'isp-a')",
         setup=plan(paths={"normal": {"hop": "isp-a"}})),
    case("drtest-path-ttl-zero", DRTEST, "paths.failover.ttl", "(got 0)",
         setup=plan(paths={"failover": {"hop": "127.0.0.2", "ttl": 0}})),
    case("drtest-interval-too-short", DRTEST, "interval", "between 1ms and 1s",
         setup=plan(interval="0.5ms")),
    case("drtest-interval-too-long", DRTEST, "interval", "between 1ms and 1s", setup=plan(interval="5s")),
    case("drtest-interval-text", DRTEST, "interval", "bad interval", "'fast'", setup=plan(interval="fast")),
    case("drtest-baseline-nan", DRTEST, f"{PLAN_FILE}: baseline: must be a finite duration", setup=plan(baseline=float("nan"))),
    case("drtest-failback-bound-infinite", DRTEST, f"{PLAN_FILE}: failback_bound: must be a finite duration",
         setup=plan(failback_bound=float("inf"))),
    case("drtest-convergence-bound-negative", DRTEST, "convergence_bound", "must be positive",
         setup=plan(convergence_bound="-1s")),
    case("drtest-convergence-bound-bare-number-too-long", DRTEST, f"{PLAN_FILE}: convergence_bound: 3000 s "
         "(a bare number is seconds; did you mean 3000ms?) makes the trigger watch last", "over the maximum 900 s",
         setup=plan(convergence_bound=3000), absent=("count",)),
    case("drtest-target-broadcast", [*DRTEST, "--allow", "0.0.0.0/0"], f"{PLAN_FILE}: sites.0.target",
         "target 255.255.255.255 is the broadcast address", setup=plan(sites=site(target="255.255.255.255"))),
    case("drtest-trigger-type-unknown", DRTEST, "trigger.type", "(got 'reboot')",
         setup=plan(trigger={"type": "reboot"})),
    case("drtest-trigger-command-missing", DRTEST, "trigger", "type command needs 'command'",
         setup=plan(trigger={"type": "command"})),
    case("drtest-restore-timeout-zero", DRTEST, "restore.timeout", "must be positive",
         setup=plan(restore={"type": "command", "command": ["true"], "timeout": 0})),
    case("drtest-action-without-inventory", DRTEST, f"{PLAN_FILE}: trigger/restore",
         "give --inventory", setup=plan(trigger=SHUT, restore=OPEN)),
    case("drtest-action-unknown-device", [*DRTEST, "-i", "{inv}"], f"{PLAN_FILE}",
         "trigger.device: not in the inventory (got 'ios-9')",
         setup=plan(trigger=dict(SHUT, device="ios-9"), restore=OPEN)),
    case("drtest-action-unknown", [*DRTEST, "-i", "{inv}"], "trigger.action", "(got 'reload')",
         setup=plan(trigger=dict(SHUT, action="reload"), restore=OPEN)),
    case("drtest-action-interface-newline", [*DRTEST, "-i", "{inv}"], "host ios-1:",
         "restore.args.interface", "not a valid interface name",
         setup=plan(trigger=SHUT, restore=dict(OPEN, args={"interface": "GigabitEthernet0/1\nreload"}))),
    case("drtest-action-missing-device-key", [*DRTEST, "-i", "{inv}"], "trigger",
         "type action needs 'action' and 'device'",
         setup=plan(trigger={"type": "action", "action": "interface-shutdown"}, restore=OPEN)),
    case("drtest-action-credentials-missing", [*DRTEST, "-i", "{inv}"], "host ios-1: credentials",
         "no password", setup=[remove("inventory/.lab-password"), plan(trigger=SHUT, restore=OPEN)]),
    case("drtest-action-inventory-broken", [*DRTEST, "-i", "{inv}"], "host ios-1: port", "(got 'ssh')",
         setup=[put(HOSTS, "ios-1.port", "ssh"), plan(trigger=SHUT, restore=OPEN)]),
    # a device marked down is contacted by no command: a DR step on it would time out mid-test
    case("drtest-action-device-marked-down", [*DRTEST, "-i", "{inv}"],
         f"{PLAN_FILE}: host ios-1: trigger.device: marked down in the inventory (RMA): a DR step "
         "cannot act on it", setup=[put(HOSTS, "ios-1.data.maintenance", {"down": True, "reason": "RMA"}),
                                    plan(trigger=SHUT, restore=OPEN)]),
    case("drtest-action-device-mark-broken-in-groups", [*DRTEST, "-i", "{inv}"],
         "{inv}/groups.yaml: host ios-1: maintenance.until: a mark without down: true needs an end",
         setup=[put(GROUPS, "cisco_ios.data.maintenance", {"reason": "swap"}), plan(trigger=SHUT, restore=OPEN)]),
    case("run-drtest-action-device-marked-down", run(), "play.yaml:5: host ios-1: steps[1].trigger.device: plan.yaml: marked down in the inventory (RMA)",
         setup=[put(HOSTS, "ios-1.data.maintenance", {"down": True, "reason": "RMA"}),
                plan(trigger=SHUT, restore=OPEN), play({"drtest": {"plan": "plan.yaml"}})]),
]
