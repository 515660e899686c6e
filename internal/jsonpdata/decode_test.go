package jsonpdata

import (
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func decodeMap(t *testing.T, in string) (pcommon.Map, error) {
	t.Helper()
	m := pcommon.NewMap()
	err := Map(jsontext.NewDecoder(strings.NewReader(in)), m, NewBudget(1))
	return m, err
}

func TestMapKeepsTypesAndPrecision(t *testing.T) {
	m, err := decodeMap(t, `{"id":742856,"big":123456789012345678901234,"ms":1744456299142,"f":45.5,"exp":1e3,
		"s":"x\u00e9","t":true,"n":null,"empty":"","arr":[1,"a",null,{"k":false}],"obj":{"PAM":{"target":"db"}},"neg":-7}`)
	require.NoError(t, err)
	want := map[string]any{
		"id": int64(742856), "big": "123456789012345678901234", "ms": int64(1744456299142), "f": 45.5, "exp": 1000.0,
		"s": "xé", "t": true, "n": nil, "empty": "", "neg": int64(-7),
		"arr": []any{int64(1), "a", nil, map[string]any{"k": false}},
		"obj": map[string]any{"PAM": map[string]any{"target": "db"}},
	}
	assert.Equal(t, want, m.AsRaw())
	n, _ := m.Get("n")
	assert.Equal(t, pcommon.ValueTypeEmpty, n.Type())
	big, _ := m.Get("big")
	assert.Equal(t, pcommon.ValueTypeStr, big.Type(), "an integer beyond int64 keeps its exact text")
}

func TestMapRejectsBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not an object": `[1,2]`,
		"truncated":     `{"a":1,"b":[1,2`,
		"bad token":     `{"a":tru}`,
		"empty":         ``,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeMap(t, in)
			assert.Error(t, err)
		})
	}
}

func FuzzMap(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":[1,{"b":null}],"c":1.5e300}`, `{"x":"\ud800"}`, `{"a":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m := pcommon.NewMap()
		dec := jsontext.NewDecoder(bytes.NewReader(in))
		if err := Map(dec, m, NewBudget(1)); err != nil {
			return
		}
		// Success means a whole, valid JSON object was read, and every value landed in the map.
		read := bytes.TrimSpace(in[:dec.InputOffset()])
		require.True(t, jsontext.Value(read).IsValid(), "accepted invalid JSON %q", read)
		require.Equal(t, byte('{'), read[0])
		_ = m.AsRaw()
	})
}

func TestMembersWalksAnObject(t *testing.T) {
	dec := jsontext.NewDecoder(strings.NewReader(`{"keep":1,"skip":{"x":[1,2]},"keep2":"v"} `))
	var names []string
	require.NoError(t, Members(dec, func(name string) error {
		names = append(names, name)
		return dec.SkipValue()
	}))
	assert.Equal(t, []string{"keep", "skip", "keep2"}, names)

	err := Members(jsontext.NewDecoder(strings.NewReader(`[1]`)), func(string) error { return nil })
	assert.ErrorContains(t, err, "expected a JSON object")
	cut := jsontext.NewDecoder(strings.NewReader(`{"a":1`))
	err = Members(cut, func(string) error { return cut.SkipValue() })
	assert.Error(t, err, "a cut object is an error")
}

func TestNamesAreUnquotedAndShared(t *testing.T) {
	long := strings.Repeat("k", maxNameLen+1)
	m, err := decodeMap(t, `{"a\u0062":1,"tab\t":2,"`+long+`":3,"user":{"user":4}}`)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ab": int64(1), "tab\t": int64(2), long: int64(3), "user": map[string]any{"user": int64(4)}}, m.AsRaw())

	_, err = decodeMap(t, `{1:2}`)
	assert.Error(t, err, "a name must be a string")

	// A name read again is the interned string, not a fresh copy.
	first, _, err := readName(nameDecoder(t, `"applicationCode"`))
	require.NoError(t, err)
	again, _, err := readName(nameDecoder(t, `"applicationCode"`))
	require.NoError(t, err)
	assert.Equal(t, unsafe.StringData(first), unsafe.StringData(again))
	other, _, err := readName(nameDecoder(t, `"userId"`))
	require.NoError(t, err)
	assert.Equal(t, "userId", other, "another name is another string")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _, _ = readName(nameDecoder(t, `"applicationCode"`)) })-
		testing.AllocsPerRun(100, func() { _, _ = nameDecoder(t, `"applicationCode"`).ReadValue() }),
		"an interned name costs no allocation beyond reading the raw name")
}

// nameDecoder returns a decoder positioned on the name of {name: 0}.
func nameDecoder(t *testing.T, name string) *jsontext.Decoder {
	t.Helper()
	dec := jsontext.NewDecoder(strings.NewReader(`{` + name + `:0}`))
	_, err := dec.ReadToken()
	require.NoError(t, err)
	return dec
}
