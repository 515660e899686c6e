package fieldmaptest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/secaudit/otelcol-audit/internal/fieldmap"
)

const readme = "# R\n\n## Records\n\n| Attribute | From | Notes |\n|---|---|---|\n" +
	"| `log.record.uid` | `id` | |\n| `user.name` | `user` | |\n| `client.port` | `source` | derived |\n\n" +
	"## Other\n\n| `not.this` | `x` | |\n"

func TestRowsAreReadFromTheSectionOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	assert.NoError(t, os.WriteFile(path, []byte(readme), 0o600))
	assert.Equal(t, []Row{{"log.record.uid", []string{"id"}}, {"user.name", []string{"user"}}, {"client.port", []string{"source"}}},
		Rows(t, path, "Records"))

	table := fieldmap.New([]fieldmap.Field{{JSON: "id", Attr: "log.record.uid", Kind: fieldmap.Own}, {JSON: "user", Attr: "user.name"}})
	AssertDocumented(t, path, "Records", table, "client.port")

	drifted := fieldmap.New([]fieldmap.Field{{JSON: "id", Attr: "log.record.uid"}, {JSON: "login", Attr: "user.name"}, {JSON: "ua", Attr: "user_agent.original"}})
	inner := &testing.T{}
	AssertDocumented(inner, path, "Records", drifted, "client.port")
	assert.True(t, inner.Failed(), "a renamed member and an undocumented attribute are caught")
}
