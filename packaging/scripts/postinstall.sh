#!/bin/sh
# After the files are in place (deb: configure [old-version], rpm: 1 install, 2 upgrade).
# The service is not started on a first install: it needs the tenants' credentials first.
# An upgrade restarts a running collector on the new binary; it resumes from its checkpoints.
set -e
case "$1" in
configure | 1 | 2) ;;
*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl try-restart otelcol-audit.service
fi
if [ "$1" = 1 ] || { [ "$1" = configure ] && [ -z "$2" ]; }; then
	echo "otelcol-audit: put the tenants' settings and credentials in /etc/otelcol-audit/otelcol-audit.env,"
	echo "then run: systemctl enable --now otelcol-audit"
fi
