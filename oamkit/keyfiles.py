"""Checks of an SSH private key file named in the inventory (`credentials.ssh_key_file`, the
device's; `ssh.jump_key_file`, the jump host's), made before any device is contacted, so that
a key oamkit cannot use is exit 2 naming the file, host and key, not a login that fails with
paramiko's words ("not a valid OPENSSH private key file", or "authentication failed" for a
key that needs a passphrase) on every host of the run.

OpenSSH's rules are followed: a key others can read is refused (ssh says "UNPROTECTED PRIVATE
KEY FILE" and ignores it), as oamkit refuses such a password file. Reading the file's header
is enough to tell a private key, and an encrypted one, from anything else: no SSH library is
imported here (the check runs on every command that logs in).
"""
from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from oamkit.errors import Problem
from oamkit.secrets import open_to_others

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\s*(.*?)-----END", re.S)
_OPENSSH_MAGIC = b"openssh-key-v1\x00"


def key_file_problem(path: Path | None, setting: str | None, *, host: str, field: str,
                     what: str, passphrase_hint: str) -> Problem | None:
    """Why the key file `setting` (resolved to `path`) cannot be used to log in, or None.
    `what` names it in messages ("SSH key file", "jump host key file"); `passphrase_hint`
    says what to use instead of a key protected by a passphrase."""
    if setting is None:
        return None
    if not setting.strip():
        return Problem(f"{what} is empty: name a private key file, or remove the setting",
                       host=host, field=field, value=setting)
    if not path.is_file():
        return Problem(f"{what} not found: {path}", host=host, field=field, value=setting)
    mode = open_to_others(path)
    if mode is not None:
        return Problem(f"{what} is readable by others (mode {mode:04o}), and ssh refuses such a "
                       "key; run chmod 600 on it", file=str(path), host=host, field=field)
    try:
        text = path.read_bytes()[:64 * 1024].decode("ascii", errors="replace")
    except OSError as exc:
        return Problem(f"{what} cannot be read: {exc.strerror}", file=str(path), host=host, field=field)
    found = _PEM.search(text)
    if found is None:
        return Problem(f"{what} is not a private key (no '-----BEGIN ... PRIVATE KEY-----' "
                       "block; a .pub file?)", file=str(path), host=host, field=field)
    if _encrypted(found.group(1).strip(), found.group(2)):
        return Problem(f"{what} is protected by a passphrase; {passphrase_hint}",
                       file=str(path), host=host, field=field)
    return None


def _encrypted(kind: str, body: str) -> bool:
    if kind == "ENCRYPTED":                      # PKCS#8, encrypted
        return True
    if "Proc-Type: 4,ENCRYPTED" in body:         # traditional PEM (RSA, EC, DSA)
        return True
    if kind != "OPENSSH":
        return False
    # openssh-key-v1: the magic, then the cipher name as an SSH string; "none" when unencrypted
    try:
        head = "".join(body.split())[:128]
        blob = base64.b64decode(head[:len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return False
    if not blob.startswith(_OPENSSH_MAGIC) or len(blob) < len(_OPENSSH_MAGIC) + 4:
        return False
    start = len(_OPENSSH_MAGIC)
    length = int.from_bytes(blob[start:start + 4], "big")
    return blob[start + 4:start + 4 + length] != b"none"
