package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// caQuery is a createQuery request after validation: what the cursor carries.
type caQuery struct {
	PageSize int      `json:"pageSize"`
	Fields   []string `json:"selectedFields,omitempty"`
	// From is the first millisecond of the dateFrom second (inclusive); nil = no lower bound.
	From *int64 `json:"dateFrom,omitempty"`
	// To is the last millisecond of the dateTo second (inclusive); nil = open-ended.
	To *int64 `json:"dateTo,omitempty"`
	// Include lists, per filterModel key, the include lists that must all match.
	Include map[string][][]string `json:"include,omitempty"`
	Desc    bool                  `json:"desc,omitempty"`
	// Upper freezes the newest time a descending open-ended query may return: its creation time.
	// Walking backwards from a moving "now" would never end.
	Upper int64 `json:"upper,omitempty"`
	// Legacy marks a flat body whose filter was ignored (kept for debugging only).
	Legacy bool `json:"legacy,omitempty"`
}

// caCursor is the decoded cursorRef. Like the real one it is base64 of JSON with the query and a
// position, so the server keeps no per-cursor state: any copy of a cursor gives the same page.
// The position is the (timestamp, arrival sequence) of the last record returned, not an offset,
// so records inserted behind it (late records) do not shift later pages.
type caCursor struct {
	Query    caQuery  `json:"query"`
	Position []uint64 `json:"currentPosition"` // [] at the start, else [ts, seq]
	Created  int64    `json:"created"`         // simulator clock, epoch ms, for CursorTTL
	Sig      string   `json:"sig,omitempty"`
}

var errBadCursor = errors.New("invalid cursorRef")

func (s *Simulator) encodeCursor(c caCursor) string {
	c.Sig = ""
	body, _ := json.Marshal(c)
	c.Sig = s.cursorSig(body)
	body, _ = json.Marshal(c)
	return base64.StdEncoding.EncodeToString(body)
}

// decodeCursor rejects anything this instance did not issue: garbled text, a cursor changed by the
// client, or one from another simulator run (as a restarted service would).
func (s *Simulator) decodeCursor(ref string) (caCursor, error) {
	var c caCursor
	body, err := base64.StdEncoding.DecodeString(ref)
	if err != nil {
		return c, errBadCursor
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return c, errBadCursor
	}
	sig := c.Sig
	c.Sig = ""
	plain, _ := json.Marshal(c)
	if !hmac.Equal([]byte(sig), []byte(s.cursorSig(plain))) {
		return c, errBadCursor
	}
	if len(c.Position) != 0 && len(c.Position) != 2 || c.Query.PageSize <= 0 {
		return c, errBadCursor
	}
	return c, nil
}

func (s *Simulator) cursorSig(body []byte) string {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write(body)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseCADate reads the date strings working clients send, all meaning UTC unless they carry an
// offset: "2025-09-15 17:10:00", "2025-09-15T17:10:00", with optional fraction (".123", or ":123"
// as one client sends) and optional zone ("Z", "+00:00", "+0000"). The result is truncated to the
// second, because the real filter ignores sub-second parts.
func parseCADate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) < 19 || (s[10] != ' ' && s[10] != 'T' && s[10] != 't') {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD HH:MM:SS", s)
	}
	base, err := time.Parse("2006-01-02T15:04:05", s[:10]+"T"+s[11:19])
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: %w", s, err)
	}
	rest := s[19:]
	// Fraction: ".ddd..." or the ":ddd" variant; ignored either way.
	if len(rest) > 1 && (rest[0] == '.' || rest[0] == ':' && len(rest) >= 4 && isDigits(rest[1:4])) {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return time.Time{}, fmt.Errorf("date %q: bad fraction", s)
		}
		rest = rest[i:]
	}
	switch {
	case rest == "" || rest == "Z" || rest == "z":
	case rest[0] == '+' || rest[0] == '-':
		off := strings.ReplaceAll(rest[1:], ":", "")
		if (len(off) != 2 && len(off) != 4) || !isDigits(off) {
			return time.Time{}, fmt.Errorf("date %q: bad zone offset", s)
		}
		h, _ := strconv.Atoi(off[:2])
		m := 0
		if len(off) == 4 {
			m, _ = strconv.Atoi(off[2:])
		}
		d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute
		if rest[0] == '+' {
			d = -d
		}
		base = base.Add(d)
	default:
		return time.Time{}, fmt.Errorf("date %q: unexpected %q after the time", s, rest)
	}
	return base.UTC().Truncate(time.Second), nil
}

func isDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// snakeToCamel maps a selectedFields name to the response key: tenant_id -> tenantId. Names
// already in camelCase pass through.
func snakeToCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
