#!/usr/bin/env bash
# Installs everything oamkit needs on Debian 12 (run as root): Debian packages, a virtualenv in
# .venv with oamkit and its extras, and (with --test) the Cisco YANG modules the tests validate
# against. Idempotent; safe to run again.
#
# It also puts `oamkit` on PATH for schedulers (cron's PATH is /usr/bin:/bin; the systemd units
# and Nagios commands in docs/scheduling.md name /usr/local/bin/oamkit): a symlink
# $OAMKIT_BIN_DIR/oamkit (default /usr/local/bin) -> .venv/bin/oamkit, made when that directory
# is writable (root). `--link-only` makes just that link (for an existing .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

link_oamkit() {
  local bin_dir=${OAMKIT_BIN_DIR:-/usr/local/bin} target link
  target="$(pwd -P)/.venv/bin/oamkit"
  link="$bin_dir/oamkit"
  if [[ ! -x "$target" ]]; then
    echo "install: error: $target missing: run scripts/install.sh first" >&2
    return 1
  fi
  if [[ ! -d "$bin_dir" || ! -w "$bin_dir" ]]; then
    echo "install: $bin_dir is not writable (not root?): oamkit is not on PATH; run $target"
    return 0
  fi
  if [[ -e "$link" && ! -L "$link" ]]; then
    echo "install: error: $link exists and is not a symlink: left alone" >&2
    return 1
  fi
  if [[ "$(readlink "$link" 2>/dev/null)" != "$target" ]]; then
    ln -sfn "$target" "$link"
    echo "install: $link -> $target"
  fi
}

if [[ "${1:-}" == "--link-only" ]]; then
  link_oamkit
  exit
fi

debs=(python3-venv python3-dev gcc iproute2 nftables frr tcpdump fping libyang2-dev libyang2-tools openssh-client)
# the exporter's test scrapes it with a real Prometheus server (run on 127.0.0.1 by the test only)
((want_test)) && debs+=(prometheus)
# the jump-host tests run their own sshd (127.0.0.1, own port and config) as the bastion;
# tests/netconf_real: a real third-party NETCONF server (yuma123's netconfd, reached through its
# netconf-subsystem under a private sshd the tests start on 127.0.0.1; the system sshd is not used)
((want_test)) && debs+=(netconfd openssh-server)
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install: apt-get install ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
    # Debian's ssh service (init script and systemd unit) will not start while this file exists:
    # the tests want sshd binary only, never a system sshd listening on port 22.
    mkdir -p /etc/ssh && touch /etc/ssh/sshd_not_to_be_run
  fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
  .venv/bin/python -m pip install -q -e ".[yang,ansible,netbox]"
fi
# An editable install leaves oamkit's own modules uncompiled (pip compiles the others), and
# where PYTHONDONTWRITEBYTECODE is set nothing ever writes them: every oamkit process (each
# scheduled check) would compile the ~40 modules it imports again, ~70 ms.
.venv/bin/python -m compileall -q oamkit >/dev/null
if ((want_test)) && [[ -e /etc/ssh/sshd_not_to_be_run ]] && command -v service >/dev/null; then
  service ssh stop >/dev/null 2>&1 || true   # in case an older install started one
fi
link_oamkit
echo "install: ready ($(.venv/bin/oamkit --version))"
