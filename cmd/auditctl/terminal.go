package main

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// terminalSafe removes from text what a terminal would act on rather than show: vendor text
// (an error body, a record field) can carry escape sequences that recolour or clear the
// screen, move the cursor over earlier lines, set the window title, write the clipboard
// (OSC 52) or disguise a link (OSC 8).
//
//   - ESC and the whole sequence it starts are removed, as are the other C0 controls but
//     newline and tab, and DEL.
//   - C1 controls (U+0080 to U+009F; U+009B is CSI to many terminals), bidirectional
//     overrides, zero-width characters and line separators (httpapi.Hidden) are written as
//     \u0080 escapes: JSON encoders leave them raw, and the escape is the same character in
//     valid JSON, while a person reading text sees what the vendor sent, in its order.
//   - A byte that is not UTF-8 becomes U+FFFD: a raw 0x9B is CSI to an 8-bit terminal.
func terminalSafe(text string) string {
	if isPlain(text) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f):
			b.WriteByte(c)
			i++
		case c == 0x1b:
			i += escapeLen(text[i:])
		case c < 0x80: // other C0 controls and DEL
			i++
		default:
			r, n := utf8.DecodeRuneInString(text[i:])
			switch {
			case r == utf8.RuneError && n == 1:
				b.WriteRune(utf8.RuneError)
			case httpapi.Hidden(r):
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteString(text[i : i+n])
			}
			i += n
		}
	}
	return b.String()
}

// isPlain reports whether text is printable ASCII, newlines and tabs: nearly all output.
func isPlain(text string) bool {
	for i := 0; i < len(text); i++ {
		if c := text[i]; (c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

// escapeLen returns the length of the escape sequence that text starts with (text[0] is ESC),
// as ECMA-48 delimits it. A string sequence without its terminator ends at the line's end, so
// that the text after it stays visible.
func escapeLen(text string) int {
	if len(text) < 2 {
		return len(text)
	}
	i := 2
	switch text[1] {
	case '[': // CSI: parameter and intermediate bytes, then a final byte
		for i < len(text) && text[i] >= 0x20 && text[i] <= 0x3f {
			i++
		}
		if i < len(text) && text[i] >= 0x40 && text[i] <= 0x7e {
			i++
		}
		return i
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: a string up to BEL or ESC \
		for ; i < len(text) && text[i] != '\n'; i++ {
			switch {
			case text[i] == 0x07:
				return i + 1
			case text[i] == 0x1b && i+1 < len(text) && text[i+1] == '\\':
				return i + 2
			}
		}
		return i
	default: // intermediate bytes, then a final byte: ESC c (reset), ESC ( 0 (charset), …
		i = 1
		for i < len(text) && text[i] >= 0x20 && text[i] <= 0x2f {
			i++
		}
		if i < len(text) && text[i] >= 0x30 && text[i] <= 0x7e {
			i++
		}
		return i
	}
}
