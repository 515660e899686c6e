package httpapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Redacted stands in for a secret in every text the receivers and auditctl produce.
const Redacted = "[REDACTED]"

// minSecretLen is the shortest value scrubbed: replacing a 3-character value everywhere would
// garble messages without hiding anything worth guessing.
const minSecretLen = 4

// rotatedKept is how many values of a rotating secret stay scrubbed: the current access token
// and the one before it, which a request still in flight may have carried.
const rotatedKept = 2

// bearerCredential matches a bearer credential in a text, whoever's token it is (one a proxy
// echoes, one another client sent). The credential must hold a digit or one of -_~+/%, as
// tokens do, so that prose ("the API needs a bearer token.") is left alone.
var bearerCredential = regexp.MustCompile(`(?i)\b(bearer)(\s+|%20|\+)[A-Za-z.]*[0-9\-_~+/%][A-Za-z0-9\-._~+/%]*=*`)

// Secrets is the set of values that no error, log or printed text may show. Each value is
// scrubbed in every form a server or an encoder can give it: as configured, trimmed, each line
// of a multi-line value (a PEM key), URL-encoded for a query or form body and for a path
// (with upper- or lower-case hex), and each of these JSON-escaped (with and without HTML
// escaping, with / as \/, once or twice) and Go-quoted. Any bearer credential is scrubbed
// too. A Secrets is safe for concurrent use; the nil *Secrets scrubs only bearer credentials.
type Secrets struct {
	mu      sync.Mutex
	values  []string            // for the life of the set
	rotated map[string][]string // by slot: the latest values of a secret that changes (a token)
	current atomic.Pointer[scrubber]
}

// scrubber is what Scrub reads, rebuilt whenever the set changes.
type scrubber struct {
	forms []string // every form of every value, longest first
	repl  *strings.Replacer
}

// NewSecrets returns a set holding values.
func NewSecrets(values ...string) *Secrets {
	s := &Secrets{rotated: map[string][]string{}}
	s.Add(values...)
	return s
}

// Add scrubs values from now on.
func (s *Secrets) Add(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if !slices.Contains(s.values, v) {
			s.values = append(s.values, v)
		}
	}
	s.rebuild()
}

// Rotate scrubs value from now on, in place of the older values of slot but the last one:
// a token renewed every few minutes must not grow the set without bound.
func (s *Secrets) Rotate(slot, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := append(slices.Clone(s.rotated[slot]), value)
	s.rotated[slot] = vs[max(0, len(vs)-rotatedKept):]
	s.rebuild()
}

// rebuild makes the replacer of every form of every value, longest first: the replacer tries
// its pairs in order at each position, so a secret that contains another is replaced whole.
func (s *Secrets) rebuild() {
	seen := map[string]bool{}
	var olds []string
	add := func(v string) {
		for _, f := range forms(v) {
			if !seen[f] {
				seen[f] = true
				olds = append(olds, f)
			}
		}
	}
	for _, v := range s.values {
		add(v)
	}
	for _, vs := range s.rotated {
		for _, v := range vs {
			add(v)
		}
	}
	slices.SortFunc(olds, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, Redacted)
	}
	s.current.Store(&scrubber{forms: olds, repl: strings.NewReplacer(pairs...)})
}

// Scrub replaces every secret in text, in any of its forms, and any bearer credential. The
// start of a secret that a message cut short, marking the cut with "…", is replaced too.
func (s *Secrets) Scrub(text string) string {
	if s != nil {
		if sc := s.current.Load(); sc != nil {
			text = sc.repl.Replace(text)
			if strings.Contains(text, ellipsis) {
				text = sc.scrubCut(text)
			}
		}
	}
	return bearerCredential.ReplaceAllString(text, "${1}${2}"+Redacted)
}

const ellipsis = "…"

// scrubCut replaces the start of a secret just before each "…": the messages that quote a
// server cut its text at a fixed length, which may fall inside a secret.
func (sc *scrubber) scrubCut(text string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, ellipsis)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		before := text[:i]
		if n := sc.cutSecretLen(before); n > 0 {
			before = before[:len(before)-n] + Redacted
		}
		b.WriteString(before + ellipsis)
		text = text[i+len(ellipsis):]
	}
}

// cutSecretLen returns the length of the longest start of a form (minSecretLen bytes or more)
// that text ends with, or 0.
func (sc *scrubber) cutSecretLen(text string) int {
	best := 0
	for _, f := range sc.forms {
		// From the longest candidate down; most fail on their first byte.
		for j := max(0, len(text)-(len(f)-1)); len(text)-j >= max(minSecretLen, best+1); j++ {
			if strings.HasPrefix(f, text[j:]) {
				best = len(text) - j
				break
			}
		}
	}
	return best
}

// Err returns err with its text scrubbed, or err itself when its text holds no secret.
// errors.Is and errors.As still reach the errors it wraps (whose own texts are not scrubbed:
// what reaches a user is the text of the outermost error).
func (s *Secrets) Err(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if scrubbed := s.Scrub(msg); scrubbed != msg {
		return &scrubbedError{msg: scrubbed, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// forms returns the texts under which v can reach a message. Values shorter than
// minSecretLen once trimmed are left out, in all their forms.
func forms(v string) []string {
	var bases []string
	for _, b := range append([]string{v, strings.TrimSpace(v)}, strings.Split(v, "\n")...) {
		if len(strings.TrimSpace(b)) >= minSecretLen {
			bases = append(bases, b, strings.TrimSpace(b))
		}
	}
	var out []string
	for _, b := range bases {
		q, p := url.QueryEscape(b), url.PathEscape(b)
		for _, e := range []string{b, q, p, lowerHex(q), lowerHex(p)} {
			plain, html := jsonEscape(e, false), jsonEscape(e, true)
			out = append(out, e, plain, html,
				strings.ReplaceAll(plain, "/", `\/`), strings.ReplaceAll(html, "/", `\/`),
				// Escaped twice: a JSON text quoted in a JSON string (a request echoed in an error).
				jsonEscape(plain, false), jsonEscape(html, true),
				unquote(strconv.Quote(e)), unquote(strconv.QuoteToASCII(e)))
		}
	}
	return out
}

// jsonEscape returns s as a JSON string without its quotes; html escapes <, > and & as
// encoding/json does by default.
func jsonEscape(s string, html bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s) // a string always encodes
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

func unquote(quoted string) string { return quoted[1 : len(quoted)-1] }

var percentHex = regexp.MustCompile(`%[0-9A-F]{2}`)

// lowerHex writes percent-escapes in lower case, as some servers re-encode them.
func lowerHex(s string) string { return percentHex.ReplaceAllStringFunc(s, strings.ToLower) }
