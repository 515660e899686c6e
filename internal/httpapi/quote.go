package httpapi

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxStatusBody is how much of a refused response's body a StatusError quotes.
const maxStatusBody = 512

// Quote returns the start of a vendor's text for an error message, on one line: secrets
// removed, white space folded, the characters that would hide or reorder text escaped
// (EscapeHidden), at most limit bytes cut on a rune boundary and marked with "…".
// The cut text is scrubbed again: the start of a secret left before the mark is removed too.
// secrets may be nil.
func Quote(text string, limit int, secrets *Secrets) string {
	s := EscapeHidden(strings.Join(strings.Fields(secrets.Scrub(text)), " "))
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return secrets.Scrub(s[:cut] + "…")
}

// DescribeBody says what a body that should have been JSON looks like, typically an HTML
// login or proxy page: "an empty body", or "an HTML page starting …" with its quoted start.
func DescribeBody(body []byte, secrets *Secrets) string {
	s := Quote(string(body), 80, secrets)
	switch {
	case s == "":
		return "an empty body"
	case strings.HasPrefix(s, "<"):
		return fmt.Sprintf("an HTML page starting %q", s)
	default:
		return fmt.Sprintf("a body starting %q", s)
	}
}
