package cyberarkispreceiver

import (
	"testing"

	"github.com/secaudit/otelcol-audit/internal/fieldmap/fieldmaptest"
)

// The README's "What an event becomes" tables document exactly the attributes the receiver writes.
func TestEventFieldsAreDocumented(t *testing.T) {
	fieldmaptest.AssertDocumented(t, "README.md", "What an event becomes", eventFields,
		// Written with client.address when source is an address with a port (putOwn).
		"client.port",
		// Written by the decoder on an event it had to alter (jsonpdata.Repair.Mark).
		"audit.record.repaired",
		// Resource attributes, written once per page (decodePage): the Audit API host, and the
		// tenantId of the page's events, which eventFields reads without copying.
		"cyberark.audit.host", "cyberark.tenant.id",
	)
}
