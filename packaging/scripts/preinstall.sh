#!/bin/sh
# Before the files are unpacked, on install and upgrade (deb: install|upgrade, rpm: 1|2): the
# system user the unit runs as, with no login shell; its home is the state directory, which
# systemd creates (StateDirectory=).
set -e
if ! getent group otelcol-audit >/dev/null; then
	groupadd --system otelcol-audit
fi
if ! getent passwd otelcol-audit >/dev/null; then
	useradd --system --gid otelcol-audit --home-dir /var/lib/otelcol-audit --no-create-home \
		--shell /usr/sbin/nologin --comment "otelcol-audit collector" otelcol-audit
fi
