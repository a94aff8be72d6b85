"""The emulated device lab: asyncssh CLI personalities (and a NETCONF subsystem) sharing one
state per device, all devices in one asyncio loop on 127.0.0.1, one SSH port each.

Command line::

    oamkit lab up [--devices N] [--platforms cisco_ios,cisco_xr,juniper_junos,huawei_vrp]
                  [--inventory-out DIR] [--time-scale 0.01] [--faults FILE] [--detach]
    oamkit lab status [--json]          # exit 3 when nothing runs
    oamkit lab fault ios-1 command_delay=0.5 'reject_commands=["^show version"]'
    oamkit lab down                     # stops only the lab this state dir started

In-process (tests; fixtures ``lab`` and ``lab_inventory`` in tests/conftest.py)::

    from oamkit.lab.server import Lab
    lab = Lab(devices=4, time_scale=0.01).start()     # ios-1, xr-1, junos-1, vrp-1; ports from the OS
    lab.write_known_hosts(path); lab.write_inventory(folder)
    ConnectHandler(**lab.netmiko_params("xr-1", known_hosts_path))   # host keys checked
    dev = lab.devices["xr-1"]                          # oamkit.lab.device.Device: shared state
    dev.running / dev.candidate / dev.commit_history / dev.transcript / dev.config_commands()
    lab.set_faults("xr-1", drop_on_commit=True)        # any oamkit.lab.device.Faults field
    lab.inject_errors("xr-1", "GigabitEthernet0/0/0/0", crc_per_second=100)
    lab.set_peer_state("xr-1", "GigabitEthernet0/0/0/0", "down")
    lab.stop()

Modules: ``device`` (state contract: Device, Faults; ``config_tree``: ConfigTree and diffs),
``terminal`` (what every CLI shares: line input, pager, session loop, faults, modes, dispatch),
``grammar`` (the declarative command-grammar engine: ranges, modes, semantic-check plumbing),
``vendors/<platform>/`` (one personality each: ``grammar`` rules and checks, ``show`` output in
the layouts of tests/fixtures/parsers, ``session`` prompts, errors, commit model and own
handlers), ``cli`` (serves a shell channel with its platform's session), ``show`` (every
platform's show output under one name), ``server`` (Lab), ``netconf*`` (the NETCONF subsystem:
``netconf`` session loop, ``netconf_rpcs`` handlers, ``netconf_state`` settings).

Time scale: every device timer (confirmed commit, IOS revert timer) runs ``time_scale`` real
seconds per device second, so ``commit confirmed 1`` on Junos takes 0.6 s at 0.01.

SSH subsystems: a session with ``process.subsystem == "netconf"`` is routed to
``oamkit.lab.netconf.serve(process, device, lab)`` (imported lazily); other modules may be added
with ``oamkit.lab.server.register_subsystem(name, "module:function")``.
"""
