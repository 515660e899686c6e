// Package fieldmaptest checks a receiver's field table against the mapping table of its README.
package fieldmaptest // import "github.com/secaudit/otelcol-audit/internal/fieldmap/fieldmaptest"

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/fieldmap"
)

// Row is one line of a README's attribute table: the attribute and the members it is read from.
type Row struct {
	Attr string
	From []string
}

var code = regexp.MustCompile("`([^`]+)`")

// Rows reads the attribute tables of the README section whose heading contains section, up to
// the next heading of the same or a higher level: every table line whose first cell is a
// quoted attribute name.
func Rows(t *testing.T, readme, section string) []Row {
	t.Helper()
	text, err := os.ReadFile(readme)
	require.NoError(t, err)
	var rows []Row
	level := 0
	for line := range strings.Lines(string(text)) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			l := len(line) - len(strings.TrimLeft(line, "#"))
			switch {
			case level == 0 && strings.Contains(line, section):
				level = l
			case level != 0 && l <= level:
				return rows
			}
			continue
		}
		if level == 0 || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 {
			continue
		}
		attr := code.FindStringSubmatch(strings.TrimSpace(cells[0]))
		if attr == nil || !strings.HasPrefix(strings.TrimSpace(cells[0]), "`") {
			continue
		}
		row := Row{Attr: attr[1]}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			row.From = append(row.From, m[1])
		}
		rows = append(rows, row)
	}
	require.NotZero(t, level, "%s has no section %q", readme, section)
	return rows
}

// AssertDocumented checks that every attribute of table is documented in the README section
// as read from its member, and that the section documents no attribute the table lacks,
// but for extras: attributes the receiver writes from elsewhere (a hash, a derived port).
func AssertDocumented(t *testing.T, readme, section string, table *fieldmap.Table, extras ...string) {
	t.Helper()
	rows := Rows(t, readme, section)
	require.NotEmpty(t, rows, "the section %q of %s has an attribute table", section, readme)
	documented := map[string][]string{}
	for _, r := range rows {
		documented[r.Attr] = append(documented[r.Attr], r.From...)
	}
	inTable := map[string]bool{}
	for _, f := range table.Fields() {
		if f.Attr == "" {
			continue
		}
		inTable[f.Attr] = true
		from, ok := documented[f.Attr]
		if assert.True(t, ok, "%s: attribute %s (from %s) is not in the README table", section, f.Attr, f.JSON) {
			assert.True(t, slices.Contains(from, f.JSON), "%s: the README says %s comes from %v, the code reads %s", section, f.Attr, from, f.JSON)
		}
	}
	for attr := range documented {
		if !inTable[attr] && !slices.Contains(extras, attr) {
			t.Errorf("%s: the README documents attribute %s, which the field table does not write", section, attr)
		}
	}
	for _, e := range extras {
		assert.Contains(t, documented, e, "%s: the extra attribute %s is documented", section, e)
	}
}
