package logtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// logs builds one plog.Logs from resources of scopes of record IDs; a nil ID is a record
// without log.record.uid.
func logs(resources ...[][]*string) plog.Logs {
	ld := plog.NewLogs()
	for i, scopes := range resources {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutInt("resource", int64(i))
		for j, ids := range scopes {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(string(rune('a' + j)))
			for _, id := range ids {
				lr := sl.LogRecords().AppendEmpty()
				if id != nil {
					lr.Attributes().PutStr(UIDKey, *id)
				}
			}
		}
	}
	return ld
}

func ids(v ...string) []*string {
	out := make([]*string, len(v))
	for i := range v {
		out[i] = &v[i]
	}
	return out
}

func TestUIDsWalkEveryResourceAndScopeInOrder(t *testing.T) {
	first := logs([][]*string{ids("1", "2"), ids("3")}, [][]*string{ids("4")})
	second := logs([][]*string{ids("5")})
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, UIDs(first, second))
	assert.Len(t, Records(first, second), 5)
	assert.Empty(t, UIDs(plog.NewLogs()))
	assert.Nil(t, UIDs())
}

func TestUIDOfARecordWithoutOneIsEmpty(t *testing.T) {
	ld := logs([][]*string{{nil, ids("x")[0]}})
	assert.Equal(t, []string{"", "x"}, UIDs(ld), "a missing ID shows, in its place")
}

func TestEachGivesTheRecordsResourceAndScope(t *testing.T) {
	ld := logs([][]*string{ids("1"), ids("2")}, [][]*string{ids("3")})
	var got []string
	Each(ld, func(res pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord) {
		r, _ := res.Attributes().Get("resource")
		got = append(got, r.AsString()+"/"+scope.Name()+"/"+UID(lr))
	})
	assert.Equal(t, []string{"0/a/1", "0/b/2", "1/a/3"}, got)
}
