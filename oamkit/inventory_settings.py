"""The settings of one inventory host, as validated models: interfaces, OAM, credentials, SSH
(with its jump host), NETCONF. `oamkit.inventory` loads and merges the YAML into these."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from oamkit import units

OAMKIT_KEYS = ("transport", "oam", "credentials", "ssh", "netconf", "maintenance")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_speed(value):
    if value is not None:
        units.parse_speed(value)
    return value


class InterfaceSettings(_Strict):
    policy: str | None = None
    speed: str | StrictInt | None = None
    description: str | None = None
    overrides: dict[str, Any] | None = Field(None, description="policy keys to change on this interface")

    _speed = field_validator("speed")(lambda value: _check_speed(value))


class OamSettings(_Strict):
    policy: str | None = Field(None, description="policy for interfaces that name none")
    speed: str | StrictInt | None = Field(None, description="link speed when the name does not tell")
    form: Literal["interface", "template"] = Field(
        "interface", description="IOS: configure per interface or through a `template`")
    interfaces: dict[str, InterfaceSettings | None] = {}

    _speed = field_validator("speed")(lambda value: _check_speed(value))


class Credentials(_Strict):
    password_env: str | None = Field(None, description="environment variable holding the password")
    password_file: str | None = Field(None, description="file (mode 0600, outside git) holding it")
    password_command: str | list[str] | None = Field(
        None, description="command printing the password on its first line (e.g. `pass show "
        "net/core`): run without a shell, with a deadline, from the inventory folder")
    ssh_key_file: str | None = None
    # Cisco IOS: the secret of `enable` when sessions start in user EXEC (`Router>`)
    enable_secret_env: str | None = None
    enable_secret_file: str | None = None
    enable_secret_command: str | list[str] | None = None


@dataclass(frozen=True)
class JumpHost:
    """`ssh.jump_host` parsed: `user@host[:port]`, as OpenSSH's ProxyJump names a bastion."""
    user: str
    host: str
    port: int = 22

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user}@{host}:{self.port}"


_JUMP_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_DNS_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


def parse_jump_host(value: str) -> JumpHost:
    """`user@host[:port]` (an IPv6 address in brackets: `user@[2001:db8::1]:22`); ValueError
    saying what is wrong otherwise. Strict on purpose: the value ends up in error texts and
    names the host the SSH client connects to, so options (`-oProxyCommand=..`), paths, spaces
    and shell characters are refused here, before anything is sent."""
    user, at, rest = value.partition("@")
    if not at or not _JUMP_USER.fullmatch(user):
        raise ValueError("jump_host must be user@host[:port] (user: letters, digits, . _ -)")
    port_text = None
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise ValueError("jump_host: an IPv6 address goes in brackets: user@[2001:db8::1]:22")
        port_text = tail[1:] if tail else None
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"jump_host: {host!r} is not an IPv6 address") from None
    else:
        host, colon, port_text = rest.partition(":")
        port_text = port_text if colon else None
        if not _DNS_NAME.fullmatch(host):
            raise ValueError("jump_host: the host must be a host name or an IP address")
        if re.fullmatch(r"[\d.]+", host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise ValueError(f"jump_host: {host!r} is not an IPv4 address") from None
    port = 22
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError("jump_host: the port must be a number from 1 to 65535")
        port = int(port_text)
    return JumpHost(user, host, port)


class SshSettings(_Strict):
    known_hosts: str | None = Field(None, description="OpenSSH known_hosts file (relative to the "
                                   "inventory folder); none: oamkit's <state dir>/known_hosts")
    accept_new_host_keys: bool = Field(False, description="trust on first use: record an unknown "
                                       "host's key in known_hosts, then verify against it")
    timeout: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)
    driver: Literal["netmiko", "asyncssh"] = Field(
        "netmiko", description="CLI sessions on netmiko (paramiko, a thread per session) or on "
        "asyncssh (one event loop for every session: less CPU per device on large fleets)")
    legacy_algorithms: bool = Field(
        False, description="also offer the device SHA-1 key exchanges, ssh-rsa host keys, CBC "
        "ciphers and MD5 MACs (old IOS and the like offer nothing else); SHA-1 key exchange and "
        "ssh-rsa need the asyncssh driver: paramiko 5 has neither")
    jump_host: str | None = Field(
        None, description="bastion to reach the device through, as OpenSSH's ProxyJump: "
        "user@host[:port]; its key is checked like a device's, login with the ssh-agent's keys, "
        "jump_key_file or ~/.ssh's default keys")
    jump_key_file: str | None = Field(None, description="private key for the jump host (relative "
                                      "to the inventory folder); none: ssh-agent, ~/.ssh defaults")

    @field_validator("jump_host")
    @classmethod
    def _jump_host(cls, value: str | None) -> str | None:
        if value is not None:
            parse_jump_host(value)
        return value

    @property
    def jump(self) -> JumpHost | None:
        return parse_jump_host(self.jump_host) if self.jump_host else None


class NetconfSettings(_Strict):
    port: StrictInt | None = Field(None, ge=1, le=65535)
    timeout: float = Field(30.0, gt=0, le=3600, allow_inf_nan=False)
    validate_: Literal["auto", "always", "never"] = Field(
        "auto", alias="validate",
        description="a separate <validate> of the candidate before <commit> (which validates "
        "anyway, RFC 6241 8.3): auto sends it when the server advertises :validate and is not "
        "one known to lose the change after it (engine.netconf); always, never")


class HostSettings(_Strict):
    """One host as oamkit sees it, after inheritance and validation."""

    name: str
    hostname: str
    port: StrictInt | None = Field(None, ge=1, le=65535)
    platform: str
    username: str | None = None
    groups: list[str] = []
    transport: Literal["ssh", "netconf"] = "ssh"
    oam: OamSettings = OamSettings()
    credentials: Credentials = Credentials()
    ssh: SshSettings = SshSettings()
    netconf: NetconfSettings = NetconfSettings()
    maintenance: dict[str, Any] | None = None
    # the inventory file whose data sets `maintenance` (most specific layer): checked when a
    # command is about to contact the host (`maintenance.inventory_problems`), and named then
    maintenance_file: str | None = Field(None, exclude=True, repr=False)
    data: dict[str, Any] = {}

    def public_view(self) -> dict:
        """What `inventory show` prints: everything, secrets masked."""
        view = self.model_dump(exclude={"data"}, by_alias=True)
        view["data"] = {k: v for k, v in self.data.items() if k not in OAMKIT_KEYS}
        return view
