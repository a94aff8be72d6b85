"""Files an operator names for output (`check --output`, `render --out`): written whole or not
at all, and never through a link planted where the file goes."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_replacing(path: str | Path, text: str) -> None:
    """Write `text` into a new file beside `path`, then rename it over `path`. A reader (a CI
    job, node_exporter's textfile collector) never sees half a file, and a symlink planted at
    `path` is replaced, not written through (that overwrote the file it pointed to). The new
    file gets the mode the umask gives, as a plain write would."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
