package jsonpdata

import (
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Text returns a decoded scalar as text, and false for an absent, empty or non-scalar value.
// A whole number decoded as a double prints without a fraction, as the vendor wrote it
// (an ID of 1700000000000 stays "1700000000000", not "1.7e+12").
func Text(v pcommon.Value) (string, bool) {
	if v == (pcommon.Value{}) { // the member is absent
		return "", false
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		return s, s != ""
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return strconv.FormatInt(int64(f), 10), true
		}
		return strconv.FormatFloat(f, 'g', -1, 64), true
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Bool()), true
	}
	return "", false
}
