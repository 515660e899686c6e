//go:generate go tool -modfile=../../internal/tools/go.mod mdatagen metadata.yaml

// Package xsoarauditreceiver reads Cortex XSOAR 8 management audit logs and emits them as logs.
package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"
