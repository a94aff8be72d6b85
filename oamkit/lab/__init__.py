"""The emulated device lab: asyncssh CLI personalities (and a NETCONF subsystem) sharing one
state per device. See ``oamkit.lab.device`` for the shared-state contract and
``oamkit.lab.server.Lab`` for running it in-process.

SSH subsystems: a session with ``process.subsystem == "netconf"`` is routed to
``oamkit.lab.netconf.serve(process, device, lab)`` (imported lazily); other modules may be added
with ``oamkit.lab.server.register_subsystem(name, "module:function")``.
"""
