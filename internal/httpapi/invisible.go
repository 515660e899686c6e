package httpapi

import (
	"fmt"
	"strings"
)

// Hidden reports whether r is a character that changes how the text around it reads without
// being seen itself: a C1 control (U+0080 to U+009F; U+009B is CSI to many terminals), a
// bidirectional mark, embedding, override or isolate (which can reorder a log line so that it
// says something else), a zero-width character or byte order mark (which hides text, or splits
// a word a search looks for), or a line or paragraph separator (U+2028, U+2029: a new line to
// many viewers, which lets vendor text forge a log line). The collector's logger escapes only
// the C0 controls.
func Hidden(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional controls
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x180e:
		return true // zero-width
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// EscapeHidden writes every Hidden character of text as a \uXXXX escape, so that a person
// reading a log line sees what the vendor sent, and the line says only what it shows. The
// escape is the same character again to a JSON reader.
func EscapeHidden(text string) string {
	i := strings.IndexFunc(text, Hidden)
	if i < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	b.WriteString(text[:i])
	for _, r := range text[i:] {
		if Hidden(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
