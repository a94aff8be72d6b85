"""The SSH algorithms a lab device offers, as real devices offer them (`Faults.ssh_algorithms`).

Without a profile a lab device offers asyncssh's defaults, newer than any network device's.
A profile makes it offer what a real one does, from a public record of that device:

  cisco-1.25   Catalyst 6500, IOS 15.1(2)SY10: its KEXINIT as paramiko logged it
               (ktbyers/netmiko#467, 2017). SHA-1 key exchanges, ssh-rsa, CBC/3DES, MD5/SHA-1 MACs
               and nothing newer: what classic IOS 12.2-15.x offers.
  iosxe-17     Cisco IOL, IOS XE 17.16.1a: `show ip ssh` (ipspace/netlab#2976, 2025). No SHA-1 at
               all; ECDSA host key; MACs only the encrypt-then-MAC ones.
  vrp-v200r019 Huawei CloudEngine, V200R019C00 and later: what its command reference says a
               device starts with (`ssh server cipher aes256_ctr aes128_ctr`, `ssh server hmac
               sha2_256`) and the key exchanges `ssh server key-exchange` takes there
               (dh_group16_sha512, dh_group15_sha512, dh_group_exchange_sha256,
               dh_group14_sha256). No AES-GCM, no encrypt-then-MAC: CTR with HMAC-SHA2-256.
               NE8000's key exchange after `undo ssh server key-exchange` is group exchange
               alone: `{"profile": "vrp-v200r019", "kex_algs": ["diffie-hellman-group-exchange-sha256"]}`.

A device may also take a profile with changes, as an operator's `ip ssh server algorithm ...`
makes one: `{"profile": "iosxe-17", "encryption_algs": ["aes256-ctr"]}`. `host_key` may name
several key types (`["ssh-rsa", "ssh-ed25519"]`: a device that gained a key in an upgrade); the
first is the one recorded in the lab's known_hosts, and `host_key_algs` applies to it.
"""
from __future__ import annotations

PROFILES: dict[str, dict] = {
    "cisco-1.25": {
        "server_version": "Cisco-1.25",
        "host_key": "ssh-rsa", "host_key_algs": ["ssh-rsa"],
        "kex_algs": ["diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1",
                     "diffie-hellman-group1-sha1"],
        "encryption_algs": ["aes128-cbc", "3des-cbc", "aes192-cbc", "aes256-cbc"],
        "mac_algs": ["hmac-sha1", "hmac-sha1-96", "hmac-md5", "hmac-md5-96"],
    },
    "iosxe-17": {
        "host_key": "ecdsa-sha2-nistp256", "host_key_algs": ["ecdsa-sha2-nistp256"],
        "kex_algs": ["curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256",
                     "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group14-sha256",
                     "diffie-hellman-group16-sha512"],
        # the record also lists aes128-gcm and aes256-gcm without @openssh.com: no SSH client
        # knows those names, so they change nothing here
        "encryption_algs": ["chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com",
                            "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"],
        "mac_algs": ["hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"],
    },
    "vrp-v200r019": {
        "kex_algs": ["diffie-hellman-group16-sha512", "diffie-hellman-group15-sha512",
                     "diffie-hellman-group-exchange-sha256", "diffie-hellman-group14-sha256"],
        "encryption_algs": ["aes256-ctr", "aes128-ctr"],
        "mac_algs": ["hmac-sha2-256"],
    },
}

_OPTIONS = ("server_version", "host_key", "host_key_algs", "kex_algs", "encryption_algs", "mac_algs")


def resolve(setting: str | dict | None) -> dict | None:
    """The profile a device's `ssh_algorithms` names, with its changes; None: asyncssh's
    defaults. Raises ValueError for an unknown profile or option (the lab refuses to start)."""
    if setting is None:
        return None
    changes = {"profile": setting} if isinstance(setting, str) else dict(setting)
    name = changes.pop("profile", None)
    if name is not None and name not in PROFILES:
        raise ValueError(f"unknown SSH profile {name!r} (known: {', '.join(PROFILES)})")
    unknown = [key for key in changes if key not in _OPTIONS]
    if unknown:
        raise ValueError(f"unknown SSH profile option(s) {', '.join(unknown)} (known: {', '.join(_OPTIONS)})")
    return {**PROFILES.get(name, {}), **changes}
