package hartrace

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// Write writes every exchange recorded so far to w as a HAR 1.2 document. Every text in it
// (URL, header values, bodies, errors) is cleaned first: credential headers, cookies and token
// members are replaced by [REDACTED], then every value so replaced wherever else it appears,
// then whatever scrub (the caller's secrets; nil: none) replaces. Bodies longer than the
// Recorder's limit are cut, with a marker that gives their length. A JSON response body keeps
// only its envelope and the shape of its records (see shape), and any other response body only
// its length, unless KeepRecords was called.
func (r *Recorder) Write(w io.Writer, scrub func(string) string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	red := newRedactor(r.exchanges, scrub)
	log := harLog{
		Version: "1.2",
		Creator: harCreator{Name: r.creator, Version: r.version},
		Entries: make([]harEntry, 0, len(r.exchanges)),
	}
	for _, e := range r.exchanges {
		log.Entries = append(log.Entries, red.entry(e, r.records))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(harFile{Log: log})
}

func (r *redactor) entry(e *exchange, rec bool) harEntry {
	t, total := timings(e)
	header := e.requestHeader()
	req := harRequest{
		Method:      e.method,
		URL:         r.clean(redactCredentials(e.url)),
		HTTPVersion: cmp.Or(e.respProto, e.proto),
		Cookies:     r.cookies(requestCookies(header)),
		Headers:     r.headers(header),
		QueryString: r.query(e.url),
		HeadersSize: -1,
		BodySize:    e.body.size,
	}
	if e.body.size > 0 {
		req.PostData = &harPostData{MimeType: r.clean(header.Get("Content-Type")), Text: r.body(e.body)}
	}
	resp := harResponse{
		Status:      e.status,
		StatusText:  r.clean(strings.TrimPrefix(e.statusLn, strconv.Itoa(e.status)+" ")),
		HTTPVersion: e.respProto,
		Cookies:     r.cookies(responseCookies(e.respHeader)),
		Headers:     r.headers(e.respHeader),
		Content: harContent{
			Size:     e.respBody.size,
			MimeType: r.clean(e.respHeader.Get("Content-Type")),
			Text:     r.responseBody(e.respBody, rec),
		},
		RedirectURL: r.clean(redactCredentials(e.respHeader.Get("Location"))),
		HeadersSize: -1,
		BodySize:    e.respBody.size,
	}
	if e.uncompressed {
		resp.BodySize = -1 // the transport decompressed it: the size on the wire is not known
	}
	if e.err != nil {
		resp.Error = r.clean(e.err.Error())
	}
	return harEntry{
		StartedDateTime: e.started.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Time:            total,
		Request:         req,
		Response:        resp,
		Timings:         t,
		Comment:         e.comment,
	}
}

// headers lists h sorted by name, credential headers redacted.
func (r *redactor) headers(h http.Header) []harNameValue {
	out := []harNameValue{}
	for _, name := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[name] {
			if credentialHeaders[http.CanonicalHeaderKey(name)] {
				v = httpapi.Redacted
			}
			out = append(out, harNameValue{Name: name, Value: r.clean(v)})
		}
	}
	return out
}

// cookies lists the cookies' names; their values are credentials.
func (r *redactor) cookies(cs []*http.Cookie) []harNameValue {
	out := []harNameValue{}
	for _, c := range cs {
		out = append(out, harNameValue{Name: r.clean(c.Name), Value: httpapi.Redacted})
	}
	return out
}

// query lists the query parameters of rawURL in order, decoded, credential fields redacted.
func (r *redactor) query(rawURL string) []harNameValue {
	out := []harNameValue{}
	u, err := url.Parse(rawURL)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		name, value, _ := strings.Cut(pair, "=")
		name, value = unescape(name), unescape(value)
		if credentialField.MatchString(name + "=") {
			value = httpapi.Redacted
		}
		out = append(out, harNameValue{Name: r.clean(name), Value: r.clean(value)})
	}
	return out
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// body returns the recorded start of a body as text, credentials redacted, with a marker
// when it was cut. The marker starts with "…", after which httpapi.Secrets also replaces the
// start of a secret the cut fell in. A body that is not UTF-8 text is not shown.
func (r *redactor) body(b body) string {
	if b.size == 0 {
		return ""
	}
	data, cut := b.data, b.size > int64(len(b.data))
	if cut {
		data = wholeRunes(data)
	}
	if !utf8.Valid(data) {
		return fmt.Sprintf("[binary body of %d bytes, not recorded]", b.size)
	}
	text := redactCredentials(string(data))
	if cut {
		text += fmt.Sprintf("…[truncated: the first %d of %d bytes are shown]", len(data), b.size)
	}
	return r.clean(text)
}

// responseBody is body, or without rec (records kept) the shape of a JSON body: its records'
// values replaced. A body that is not JSON (an HTML error page, text) is not shown: the error
// auditctl reports quotes its start already.
func (r *redactor) responseBody(b body, rec bool) string {
	if rec || b.size == 0 {
		return r.body(b)
	}
	text, complete, ok := shape(b.data)
	if !ok {
		return fmt.Sprintf("[%d bytes that are not JSON, not recorded]", b.size)
	}
	text = redactCredentials(text)
	if !complete {
		text += fmt.Sprintf("…[the shape of the first %d of %d bytes is shown]", len(b.data), b.size)
	}
	return r.clean(text)
}

// wholeRunes drops a character that a cut left incomplete at the end of data.
func wholeRunes(data []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(data); i++ {
		if utf8.RuneStart(data[len(data)-i]) {
			if !utf8.FullRune(data[len(data)-i:]) {
				return data[:len(data)-i]
			}
			break
		}
	}
	return data
}

// timings splits an exchange's time as HAR does, in milliseconds; dns, connect and ssl are
// not told apart from blocked (-1). total is their sum. A step that did not happen takes 0.
func timings(e *exchange) (harTimings, float64) {
	t := harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
	sent := e.started
	if !e.gotConn.IsZero() {
		t.Blocked, sent = ms(e.started, e.gotConn), e.gotConn
	}
	headers := cmp.Or(e.gotHeaders, e.done)
	wrote := cmp.Or(e.wrote, headers)
	t.Send = ms(sent, wrote)
	t.Wait = ms(wrote, headers)
	t.Receive = ms(e.gotHeaders, e.done)
	total := max(t.Blocked, 0) + t.Send + t.Wait + t.Receive
	return t, math.Round(total*1000) / 1000 // to the microsecond, as each timing
}

func ms(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return float64(to.Sub(from).Microseconds()) / 1000
}
