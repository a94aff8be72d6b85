"""oamkit: Ethernet link OAM policy, safe pushes, compliance checks and WAN failover tests."""

__version__ = "0.1.0"
