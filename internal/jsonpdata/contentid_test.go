package jsonpdata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestContentIDIsStableUnderReencoding(t *testing.T) {
	a := ContentID([]byte(`{"user":"alice","n":1.0,"msg":"caf\u00e9"}`))
	b := ContentID([]byte("{ \"msg\" : \"café\",\n  \"n\": 1, \"user\":\"alice\" },"))
	assert.Equal(t, a, b, "spacing, member order, escapes and number spelling do not change the ID")
	assert.NotEqual(t, a, ContentID([]byte(`{"user":"bob","n":1,"msg":"café"}`)))
	assert.Regexp(t, `^sha256:[0-9a-f]{32}$`, a)
	assert.Equal(t, ContentID([]byte("not json")), ContentID([]byte(" not json\n")), "invalid JSON is hashed as written, trimmed")
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		v    pcommon.Value
		want string
		ok   bool
	}{
		{pcommon.Value{}, "", false},
		{pcommon.NewValueStr(""), "", false},
		{pcommon.NewValueStr("x"), "x", true},
		{pcommon.NewValueInt(-7), "-7", true},
		{pcommon.NewValueDouble(1700000000000), "1700000000000", true},
		{pcommon.NewValueDouble(1.5), "1.5", true},
		{pcommon.NewValueBool(true), "true", true},
		{pcommon.NewValueMap(), "", false},
	} {
		got, ok := Text(tc.v)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.ok, ok)
	}
}
