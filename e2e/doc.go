// Package e2e drives the built otelcol-audit binary as a subprocess, against the simulator of
// both vendor APIs, and checks what a user would: the components it ships, and that every audit
// record arrives exactly once. Run through `make test` (build tag e2e), which builds the binary first.
package e2e
