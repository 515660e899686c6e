// Package logtest reads what tests need out of plog.Logs: every record in order, with its
// resource and scope, and the log.record.uid values that the exactly-once checks compare. It
// is test support and never ships.
package logtest // import "github.com/secaudit/otelcol-audit/internal/testsupport/logtest"
