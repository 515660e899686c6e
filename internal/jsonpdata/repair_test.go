package jsonpdata

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// vendorOptions are the decoder options both receivers use: invalid UTF-8 reaches jsonpdata.
var vendorOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// decodeRecord decodes one record as a receiver does and returns it with its repairs.
func decodeRecord(t *testing.T, in string) (pcommon.Map, Repair) {
	t.Helper()
	b := NewBudget(1)
	require.NoError(t, b.Record())
	m := pcommon.NewMap()
	require.NoError(t, Map(jsontext.NewDecoder(strings.NewReader(in), vendorOptions...), m, b))
	return m, b.Repaired()
}

// allValidUTF8 reports whether every name and string in m is valid UTF-8.
func allValidUTF8(m pcommon.Map) bool {
	var valid func(v pcommon.Value) bool
	valid = func(v pcommon.Value) bool {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			return utf8.ValidString(v.Str())
		case pcommon.ValueTypeMap:
			for k, x := range v.Map().All() {
				if !utf8.ValidString(k) || !valid(x) {
					return false
				}
			}
		case pcommon.ValueTypeSlice:
			for _, x := range v.Slice().All() {
				if !valid(x) {
					return false
				}
			}
		}
		return true
	}
	v := pcommon.NewValueMap()
	m.CopyTo(v.Map())
	return valid(v)
}

func TestTooDeepSubtreeIsKeptAsItsText(t *testing.T) {
	deepObj := strings.Repeat(`{"a":`, maxDepth+6) + `1` + strings.Repeat(`}`, maxDepth+6)
	deepArr := strings.Repeat(`[`, maxDepth+6) + `"x"` + strings.Repeat(`]`, maxDepth+6)
	m, repaired := decodeRecord(t, `{"uuid":"u1","obj":`+deepObj+`,"arr":`+deepArr+`,"after":2}`)
	assert.Equal(t, RepairDepth, repaired)
	after, _ := m.Get("after")
	assert.Equal(t, int64(2), after.Int(), "the members after the deep one are decoded")

	// Down the object: maxDepth-1 maps below "obj", then the rest as text.
	v, _ := m.Get("obj")
	levels := 1
	for v.Type() == pcommon.ValueTypeMap {
		v, _ = v.Map().Get("a")
		levels++
	}
	require.Equal(t, pcommon.ValueTypeStr, v.Type())
	assert.Equal(t, maxDepth, levels, "nesting up to maxDepth is decoded")
	assert.True(t, jsontext.Value(v.Str()).IsValid(), "the rest is its JSON text")
	assert.Equal(t, strings.Count(deepObj, "{")-(maxDepth-1), strings.Count(v.Str(), "{"))

	a, _ := m.Get("arr")
	for a.Type() == pcommon.ValueTypeSlice {
		a = a.Slice().At(0)
	}
	assert.True(t, strings.HasPrefix(a.Str(), "[[") && strings.HasSuffix(a.Str(), `"x"]]]]]]]`), a.Str())
}

func TestInvalidUTF8IsReplacedAndNoted(t *testing.T) {
	long := strings.Repeat("n", maxNameLen+1)
	for name, in := range map[string]string{
		"short name":         "{\"us\xffer\":1}",
		"long name":          "{\"" + long + "\xfe\":1}",
		"escaped name":       "{\"\\u0041\xff\":1}",
		"nested name":        "{\"customData\":{\"k\xc3\":1}}",
		"string":             "{\"message\":\"caf\xe9 au lait\"}",
		"escaped string":     "{\"message\":\"\\t\xff\"}",
		"lone surrogate":     `{"message":"\ud800"}`,
		"string in an array": "{\"roles\":[\"admin\",\"\xff\"]}",
	} {
		t.Run(name, func(t *testing.T) {
			m, repaired := decodeRecord(t, in)
			assert.Equal(t, RepairUTF8, repaired)
			assert.Equal(t, 1, m.Len())
			assert.True(t, allValidUTF8(m), "every name and string is valid UTF-8: %v", m.AsRaw())
			assert.Contains(t, strings.Join(strings.Fields(toText(m)), ""), "\uFFFD")
		})
	}

	t.Run("a deep subtree with invalid UTF-8", func(t *testing.T) {
		m, repaired := decodeRecord(t, `{"d":`+strings.Repeat("[", maxDepth+1)+"\"\xff\""+strings.Repeat("]", maxDepth+1)+`}`)
		assert.Equal(t, RepairDepth|RepairUTF8, repaired)
		assert.True(t, allValidUTF8(m))
	})

	t.Run("a clean record", func(t *testing.T) {
		_, repaired := decodeRecord(t, `{"user":"zoë","\u00e9":"\u00e9\t","n":[1,{"x":null}]}`)
		assert.Zero(t, repaired)
	})

	t.Run("an invalid name is not interned", func(t *testing.T) {
		decodeRecord(t, "{\"int\xffern\":1}")
		names.RLock()
		defer names.RUnlock()
		for k := range names.m {
			assert.True(t, utf8.ValidString(k), "%q", k)
		}
	})

	t.Run("repairs are per record", func(t *testing.T) {
		b := NewBudget(1)
		dec := jsontext.NewDecoder(strings.NewReader("{\"a\":\"\xff\"} {\"a\":\"ok\"}"), vendorOptions...)
		require.NoError(t, b.Record())
		require.NoError(t, Map(dec, pcommon.NewMap(), b))
		assert.Equal(t, RepairUTF8, b.Repaired())
		require.NoError(t, b.Record())
		require.NoError(t, Map(dec, pcommon.NewMap(), b))
		assert.Zero(t, b.Repaired())
	})
}

func toText(m pcommon.Map) string {
	var b strings.Builder
	for k, v := range m.All() {
		b.WriteString(k)
		b.WriteString(v.AsString())
	}
	return b.String()
}

func TestRepairMarksTheRecord(t *testing.T) {
	attrs := pcommon.NewMap()
	Repair(0).Mark(attrs)
	assert.Zero(t, attrs.Len(), "a record decoded as sent is not marked")
	(RepairUTF8 | RepairDepth).Mark(attrs)
	v, ok := attrs.Get(RepairedAttribute)
	require.True(t, ok)
	assert.Equal(t, []any{"depth", "utf8"}, v.Slice().AsRaw())
}
