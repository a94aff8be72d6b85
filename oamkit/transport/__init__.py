"""Transports: how oamkit talks to a device. Each keeps its own deadline and never logs secrets."""
