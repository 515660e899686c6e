//go:generate go tool -modfile=../../internal/tools/go.mod mdatagen metadata.yaml

// Package cyberarkispreceiver reads CyberArk Identity Security Platform audit events and emits them as logs.
package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"
