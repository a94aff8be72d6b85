"""The one place machine output is versioned: every `--json` payload (and every JSON report
file) carries `schema_version`, so scripts can tell a shape they know from one they do not.
Bump SCHEMA_VERSION's major number only when a field is renamed or removed; adding fields keeps
it (docs/schema/ holds the JSON Schema of each output)."""
from __future__ import annotations

SCHEMA_VERSION = "1.0"


def stamp(payload):
    """The payload with `schema_version` first. A top-level list cannot take a field without
    breaking the scripts that read it as a list, so each of its objects carries it instead."""
    if isinstance(payload, dict):
        return {"schema_version": SCHEMA_VERSION, **payload}
    if isinstance(payload, list):
        return [stamp(item) if isinstance(item, dict) else item for item in payload]
    return payload

