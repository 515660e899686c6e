#!/bin/sh
# After the files are removed (deb: remove|purge|upgrade|..., rpm: 0 erase, 1 upgrade).
# The checkpoints in /var/lib/otelcol-audit and the otelcol-audit user stay, even on purge: a
# reinstall resumes where the collector stopped instead of reading start_time again, which
# would send every record since then a second time. Delete the directory to start over.
set -e
case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload
	fi
	;;
esac
