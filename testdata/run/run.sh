#!/usr/bin/env bash
# `make run`: start the vendor simulator and otelcol-audit on the embedded default config.
# Ctrl-C stops both. Running it again resumes from the checkpoints under .run/storage.
set -euo pipefail
# The exported records and the checkpoints are audit data: readable by this user only (the file
# exporter and file_storage create their files with the process's umask applied).
umask 077
root=$(cd "$(dirname "$0")/../.." && pwd)
export AUDIT_RUN_DIR=${AUDIT_RUN_DIR:-$root/.run}
mkdir -p "$AUDIT_RUN_DIR/storage"
addr_file=$AUDIT_RUN_DIR/auditsim.addr
rm -f "$addr_file"

# The simulator's demo credentials (see internal/testsupport/simulator/README.md); a real tenant's come from
# your secret store the same way.
export CYBERARK_CLIENT_SECRET=sim-secret CYBERARK_API_KEY=sim-api-key XSOAR_API_KEY=sim-xsoar-key

# A fixed port: the checkpoint is keyed by the tenant's host and port, so a rerun resumes it.
# New XSOAR IDs each run: this simulator forgets its records when it stops, a real tenant does not.
"$root/bin/auditsim" --listen "${AUDITSIM_LISTEN:-127.0.0.1:18650}" --addr-file "$addr_file" \
  --xsoar-first-id "$(date +%s)000" \
  --cyberark-backfill "${BACKFILL:-5000}" --xsoar-backfill "${BACKFILL:-5000}" --backfill-span 50m --rate 2 \
  >"$AUDIT_RUN_DIR/auditsim.log" 2>&1 &
sim=$!
col=
cleanup() {
  trap - INT TERM EXIT
  [ -n "$col" ] && kill -INT "$col" 2>/dev/null && wait "$col" 2>/dev/null || true
  kill -INT "$sim" 2>/dev/null && wait "$sim" 2>/dev/null || true
  echo
  echo "Stopped. The checkpoints (DELIVERED counts the records of all runs so far):"
  "$root/bin/auditctl" checkpoint show --config "$root/testdata/run/collector.yaml" || true
  echo "Run 'make run' again to resume from the checkpoints in $AUDIT_RUN_DIR/storage."
}
trap cleanup INT TERM EXIT

for _ in $(seq 100); do [ -s "$addr_file" ] && break; sleep 0.1; done
[ -s "$addr_file" ] || { echo "the simulator did not start; see $AUDIT_RUN_DIR/auditsim.log" >&2; exit 1; }
export AUDITSIM_URL="http://$(cat "$addr_file")"

cat <<MSG
Simulator of CyberArk ISP and Cortex XSOAR at $AUDITSIM_URL (log: $AUDIT_RUN_DIR/auditsim.log)
Collector config:  $root/testdata/run/collector.yaml
Exported records:  counted per batch by the debug exporter below
Checkpoints:       $AUDIT_RUN_DIR/storage (file_storage)
Health:            http://127.0.0.1:13133/
Press Ctrl-C to stop.
MSG
"$root/_build/otelcol-audit" --config "$root/testdata/run/collector.yaml" &
col=$!
wait "$col"
