"""Transports: how oamkit talks to a device. Each keeps its own deadline and never logs secrets."""
import logging

# The SSH/NETCONF libraries log what they meet (paramiko: "Error reading SSH protocol banner"
# with its traceback, "Secsh channel 0 open FAILED") through their loggers. With no handler
# anywhere, Python's last-resort handler printed those records to stderr, into cron mail and
# Nagios long output, though oamkit reports the same failure in its own words. A handler that
# drops them stops that; they still reach the root logger, so `--debug` (commands/_common.py's
# session_logging: stderr, secrets masked) shows them.
for _library in ("paramiko", "asyncssh", "ncclient", "netmiko"):
    logging.getLogger(_library).addHandler(logging.NullHandler())
