#!/usr/bin/env bash
# install-system.sh — install the Debian packages the local dev stack needs
# (MariaDB server + client, Chromium for the browser tests, Prometheus for the alert rules).
# Idempotent: only missing packages are installed, so it is cheap to call from every `start`.
# Java 17 and Maven are expected to be present already (they ship with the machine).
set -euo pipefail

# Playwright drives Debian's chromium: its own browser download cannot be used here.
# promtool (`make lint`, the rule tests) and prometheus (the integration test) come with
# Debian's prometheus.
PACKAGES=(mariadb-server mariadb-client chromium prometheus)

missing=()
for pkg in "${PACKAGES[@]}"; do
    # dpkg-query's status is the only reliable "really installed" signal;
    # a package can be known to dpkg but in a removed/config-files state.
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

echo "install-system: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
# Package lists may be empty or stale on a fresh machine.
$SUDO apt-get update -qq
# The package's postinst tries to start the distro's own mariadb service.
# Without systemd that may print errors or leave an instance on 3306 (or on the
# default /run/mysqld socket); neither matters, because our instance uses its
# own datadir/socket/port. Likewise Prometheus may start the distro's own service on 9090;
# the tests start theirs on a port and data folder of their own.
# `|| true` is NOT used: a real install failure must stop us.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
