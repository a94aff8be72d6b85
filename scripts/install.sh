#!/usr/bin/env bash
# Installs everything oamkit needs on Debian 12 (run as root): Debian packages, a virtualenv in
# .venv with oamkit and its extras, and (with --test) the Cisco YANG modules the tests validate
# against. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

debs=(python3-venv python3-dev gcc iproute2 nftables frr tcpdump fping libyang2-dev libyang2-tools openssh-client)
# the exporter's test scrapes it with a real Prometheus server (run on 127.0.0.1 by the test only)
((want_test)) && debs+=(prometheus)
# tests/netconf_real: a real third-party NETCONF server (yuma123's netconfd, reached through its
# netconf-subsystem under a private sshd the tests start on 127.0.0.1; the system sshd is not used)
((want_test)) && debs+=(netconfd openssh-server)
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if ((want_test)); then
  .venv/bin/python -m pip install -q -e ".[test]"
  .venv/bin/python -m oamkit.lab.yang_fetch >/dev/null || \
    echo "install: warning: Cisco YANG modules could not be fetched; XR-YANG tests will say so"
else
  .venv/bin/python -m pip install -q -e ".[yang]"
fi
echo "install: ready ($(.venv/bin/oamkit --version))"
