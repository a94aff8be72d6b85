"""Helpers of `oamkit.parse` (kept out of parse.py, which is already long): what makes a
record complete, and how lines no template rule knows are reported."""
