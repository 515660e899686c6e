#!/bin/sh
# Before the files are removed. On removal (deb: remove, rpm: 0) stop and disable the service;
# on an upgrade (deb: upgrade, rpm: 1) leave it running: postinstall restarts it.
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl stop otelcol-audit.service || true
	fi
	systemctl disable otelcol-audit.service >/dev/null 2>&1 || true
	;;
esac
