package fieldmap

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

const (
	fID = iota
	fUser
	fCloud
	fAgent
	fCase
	fTime
)

var table = New([]Field{
	fID:    {JSON: "id", Attr: "log.record.uid", Kind: Own},
	fUser:  {JSON: "user", Attr: "user.name", Kind: Text},
	fCloud: {JSON: "cloud", Attr: "cloud.provider", Kind: Lower},
	fAgent: {JSON: "custom.agent", Attr: "user_agent.original", Kind: Text},
	fCase:  {JSON: "case", Attr: "case.id", Kind: Typed},
	fTime:  {JSON: "time", Kind: Own},
})

func record(t *testing.T, m map[string]any) pcommon.Map {
	t.Helper()
	body := pcommon.NewMap()
	assert.NoError(t, body.FromRaw(m))
	return body
}

func TestReadAndPutFollowTheTable(t *testing.T) {
	body := record(t, map[string]any{
		"id": "e1", "user": 42, "cloud": "AWS", "custom": map[string]any{"agent": "curl/8"},
		"case": 7, "time": 1700000000000, "other": "kept in the body only",
	})
	vals := table.NewValues()
	table.Read(body, vals)
	id, ok := vals.Text(fID)
	assert.True(t, ok)
	assert.Equal(t, "e1", id)

	attrs := pcommon.NewMap()
	var own []string
	table.Put(attrs, vals, func(_ int, f Field, v pcommon.Value) {
		own = append(own, f.Attr)
		attrs.PutStr(f.Attr, v.AsString())
	})
	assert.Equal(t, []string{"log.record.uid"}, own, "a field without an attribute is not handed over")
	assert.Equal(t, map[string]any{
		"log.record.uid": "e1", "user.name": "42", "cloud.provider": "aws",
		"user_agent.original": "curl/8", "case.id": int64(7),
	}, attrs.AsRaw())
	var order []string
	for k := range attrs.All() {
		order = append(order, k)
	}
	assert.Equal(t, []string{"log.record.uid", "user.name", "cloud.provider", "user_agent.original", "case.id"}, order, "table order")
}

func TestEmptyNullAndNonScalarsAreNotCopied(t *testing.T) {
	body := record(t, map[string]any{"user": "", "cloud": nil, "custom": "not an object", "case": map[string]any{"a": 1}})
	vals := table.NewValues()
	table.Read(body, vals)
	attrs := pcommon.NewMap()
	table.Put(attrs, vals, nil)
	assert.Zero(t, attrs.Len(), "%v", attrs.AsRaw())

	table.Read(record(t, map[string]any{}), vals)
	for i := range vals {
		assert.Equal(t, pcommon.Value{}, vals[i], "values are cleared between records")
	}
}
