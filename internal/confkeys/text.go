package confkeys

import (
	"strconv"
	"time"
)

// textValues returns, as a map to merge over raw, the text settings of n that YAML read as
// something else: an unquoted date or time (start_time: 2025-09-15 17:10:00) becomes
// time.Time, an unquoted number (api_key_id: 17) an int. The collector's decoder refuses both
// for a string ("unconvertible type 'time.Time'"); the user meant the text, so it is given
// back: a time in RFC 3339 (YAML reads a time without an offset as UTC, as the docs state),
// a number as written in decimal.
func textValues(raw map[string]any, n *node) map[string]any {
	out := map[string]any{}
	for k, v := range raw {
		child, ok := n.fields[k]
		if !ok {
			continue
		}
		if child.text {
			if s, ok := asText(v); ok {
				out[k] = s
			}
			continue
		}
		if sub, ok := v.(map[string]any); ok && child.fields != nil {
			if p := textValues(sub, child); len(p) > 0 {
				out[k] = p
			}
		}
	}
	return out
}

// asText is the text the user wrote for a scalar YAML did not keep as a string.
func asText(v any) (string, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.RFC3339Nano), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
