package xsoarauditreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secaudit/otelcol-audit/internal/fieldmap/fieldmaptest"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

// The README's attribute tables document what the field tables write.
func TestFieldTablesAreDocumented(t *testing.T) {
	fieldmaptest.AssertDocumented(t, "README.md", "### Management audit log", managementFields,
		jsonpdata.RepairedAttribute, // marked by the page decoder on a record it had to alter
	)
	fieldmaptest.AssertDocumented(t, "README.md", "### Agents' audit reports", agentReportFields,
		"log.record.uid",            // a hash of the report: it has no ID field
		jsonpdata.RepairedAttribute, // marked by the page decoder on a record it had to alter
	)
}

// Attributes are written in table order, the ID first, as the golden files show them.
func TestAttributesFollowTheTableOrder(t *testing.T) {
	for _, pp := range []productPage{
		{"page_extended", managementKind, testTenant, ""},
		productPages[0], // page_xdr
		productPages[3], // agents_xdr
	} {
		p := decodeProductPage(t, pp)
		for i, lr := range records(p.logs).All() {
			var got []string
			for k := range lr.Attributes().All() {
				got = append(got, k)
			}
			want := []string{"log.record.uid"}
			for _, f := range pp.kind.fields.Fields() {
				if _, ok := lr.Attributes().Get(f.Attr); ok && f.Attr != "log.record.uid" {
					want = append(want, f.Attr)
				}
			}
			assert.Equal(t, want, got, "%s record %d", pp.file, i)
		}
	}
}
