"""Juniper Junos: `protocols oam ethernet link-fault-management`, candidate + commit.

Junos has no configurable windows (vendor notes §4.5). Its single per-event threshold is the
IEEE threshold (our low threshold); a high threshold becomes an action-profile
`link-event-rate` entry whose action is the high-threshold action.
"""
from oamkit.platforms.base import (ConfigSyntax, Event, EventTiming, NameRules, NetconfModel, Platform, Range,
                                  Timer, Toggle, no_crc_monitor)
from oamkit.units import Scale

_T = Range(1, 100)

PLATFORM = Platform(
    name="juniper_junos",
    display="Juniper Junos",
    netmiko_device_type="juniper_junos",
    commit_model="candidate",
    names=NameRules(
        # Junos interface names: type-fpc/pic/port[:channel][.unit] (ge-0/0/0, xe-1/0/0:2,
        # ae0, irb.100); unquoted set-command names take no spaces or quotes.
        interface=r"[a-z][a-z0-9]*(?:-\d+(?:/\d+)*(?::\d+)?)?(?:\.\d+)?",
        profile=r"[A-Za-z0-9][A-Za-z0-9_.-]*", description_max=900,
        source="Junos interface naming (ge-fpc/pic/port.unit); set-command identifiers"),
    transports=("ssh", "netconf"),
    events={
        "symbol_period": Event("symbol-period", None, _T, _T, high_none=True),
        "frame": Event("frame-error", None, _T, _T, high_none=True),
        "frame_period": Event("frame-period", None, _T, _T, high_none=True),
        "frame_seconds": Event("frame-period-summary", None, _T, _T, high_none=True),
    },
    pdu_interval=Timer(Range(100, 1000), Scale("milliseconds"), unit_label="ms"),
    link_timeout=Timer(Range(3, 10), multiple_of_interval=True, unit_label="PDUs (pdu-threshold)"),
    # Refused unless `negotiation-options allow-remote-loopback` (vendor notes §4.1).
    remote_loopback=Toggle(on="negotiation-options allow-remote-loopback", off=None),
    unsupported={
        **no_crc_monitor("Junos"),
        "link_monitor.window": "Junos fixes every event's window; only thresholds are "
                               "configurable (vendor notes §4.2, §4.5)",
        "link_monitoring": "oamkit does not render Junos' way to stop sending link events "
                           "(`negotiation-options no-allow-link-events`, vendor notes §4.1) yet",
        "pdu_max_rate": "Junos sets pdu-interval, not a maximum PDU rate (vendor notes §4.1)",
        "link_fault_holdup": "no hold-up statement under link-fault-management (vendor notes "
                             "§4.1)",
        "remote_failure": "Junos acts on a peer's link-fault/dying-gasp/critical-event flags "
                          "through an action-profile event (link-adjacency-loss), not per flag; "
                          "oamkit does not map it (vendor notes §4.2)",
    },
    high_threshold_actions={"error-disable-interface": "link-down", "log": "syslog"},
    link_down_actions=("error-disable-interface",),   # action-profile `link-down` (§4.2)
    profile_forms=("cli", "netconf"),
    profile_needs_high_threshold=True,
    commands={"counters": "show interfaces extensive",
              "oam_status": "show oam ethernet link-fault-management detail",
              "oam_session": "show oam ethernet link-fault-management detail",
              "oam_events": "show oam ethernet link-fault-management detail",
              "version": "show version"},
    # No event log with times over the session: the LFM detail counts the `Events` of each
    # `OAM transmitted <event> event information` block (events this end detected and sent).
    event_timing=EventTiming("counter", "oam_events", count=("link_events", "{event}", "events")),
    version_pattern=r"^(?:Junos|JUNOS):? |^Model: ",
    version_fields=("junos_version", "model"),
    templates={"cli": "juniper_junos/set.j2", "netconf": "juniper_junos/netconf.xml.j2"},
    interface_speeds={"fe-": "100M", "ge-": "1G", "xe-": "10G"},
    confirmed_commit_unit="minutes",
    # `show system commit` (Rollback Pending), Juniper's CLI reference: the newest entry ends
    # "commit confirmed, rollback in 3mins" until someone confirms or it rolls back
    pending_commit_show="show system commit",
    pending_commit_pattern=r"^0\s.*?(?P<entry>by \S+ via \S+)?\s*commit confirmed, rollback in (?P<left>\d+\s*mins?)",
    config=ConfigSyntax(
        style="set", show_running="show configuration protocols oam | display set",
        negate="delete", exit_command="exit",
        interface_line=r"link-fault-management interface (\S+)",
        managed_top=(r"link-fault-management action-profile (OAMKIT-\S+)",),
        value_keys=(r"^(set .* (?:event-thresholds|link-event-rate) \S+) \S+$",
                    r"^(set .* (?:pdu-interval|pdu-threshold|link-discovery|apply-action-profile)) \S+$"),
        error_pattern=r"syntax error|^error:|unknown command|invalid value",
        discard_command="rollback 0", rollback_last=("rollback 1",),
        presence_containers=("protocols oam ethernet link-fault-management",), confirmed_commit="commit confirmed {value}",
        paging_off="set cli screen-length 0", width_command="set cli screen-width 511",
        # exclusive: no one else's uncommitted edit rides in our commit (the device refuses
        # with `error: configuration database modified`), and what we leave uncommitted, a
        # dropped session included, is rolled back by the device
        config_enter="configure exclusive", exit_abandon_answer="yes",
        # another user's exclusive lock (Juniper, "Using the configure exclusive Command" and
        # "Enter Configuration Mode": `error: configuration database locked by:` then
        # "user2 terminal d0 (pid 1828) on since ..., idle ..." / "exclusive [edit ...]"), or
        # the shared database changed and not committed (`configuration database modified`,
        # the message PyEZ's LockError carries: "Troubleshoot Junos PyEZ Errors ...")
        config_locked=r"^error: configuration database (?:locked by|modified)",
        config_exit="exit configuration-mode", config_prompt=r"\S+@\S+#\s*$",
        exec_prompt=r"\S+@\S+>\s*$"),
    netconf=NetconfModel(
        list_keys={"interface": ("name",), "action-profile": ("name",)},
        managed_lists={"interface": "intent", "action-profile": "profile"},
        owned_path=r"link-fault-management", flags=("inactive",),
        # `<command>` takes no pipe but `| display <format>`, and `| display set` only after
        # `show configuration` (Juniper, ansible-junos-stdlib#326): the commands above need none
        command_rpc=True),
    interface_disable=("set interfaces {interface} disable",),
    interface_enable=("delete interfaces {interface} disable",),
    # "The actions are taken only when all of the events in the action profile are true."
    # (Junos 10.3, Specifying the Actions to Be Taken for Link-Fault Management Events; Junos
    # 9.4, Monitoring Protocol Status: "all the events must occur before the specified action
    # is taken"). Whether the counts of one `link-event-rate` are one event or several,
    # Juniper does not say: said, not guessed.
    combined_action_note=(
        "high thresholds of {monitors} (policy {policy}) share one Junos action profile, whose "
        "action Junos takes only when all of its events are true (Juniper: \"Specifying the "
        "Actions to Be Taken for Link-Fault Management Events\"): the action may wait for "
        "every one of them to cross, where IOS, IOS-XR and VRP act on the first; oamkit's "
        "detection estimate assumes the first"),
)
