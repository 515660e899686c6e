// Package hartrace records the HTTP exchanges of a client and writes them as an HTTP Archive
// (HAR 1.2), the format browsers' developer tools import, with every credential redacted:
// auditctl writes one with --trace, to attach to a bug report.
package hartrace // import "github.com/secaudit/otelcol-audit/internal/hartrace"

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"
)

// DefaultBodyLimit is how much of each body a trace keeps: several pages of records, small
// enough that a trace of a long read stays a file one can attach.
const DefaultBodyLimit = 64 << 10

// Recorder keeps every exchange of the transports it wraps, in the order they started. It
// keeps them as they were sent and received, secrets included: Write redacts them, once the
// command is over and every secret (a token issued on the way) is known. It is safe for
// concurrent use.
type Recorder struct {
	creator, version string
	limit            int
	records          bool // Write keeps the records' values in response bodies

	mu        sync.Mutex
	exchanges []*exchange
}

// New returns a Recorder whose trace names creator and version as the program that wrote it,
// and keeps the first bodyLimit bytes of each body (DefaultBodyLimit when bodyLimit <= 0).
func New(creator, version string, bodyLimit int) *Recorder {
	if bodyLimit <= 0 {
		bodyLimit = DefaultBodyLimit
	}
	return &Recorder{creator: creator, version: version, limit: bodyLimit}
}

// KeepRecords makes Write keep response bodies as received (credentials redacted) instead of
// their shape: the audit records in them, personal data included, then are in the trace.
func (r *Recorder) KeepRecords() { r.records = true }

// exchange is one request and what came back, as recorded; the times are zero until they happen.
type exchange struct {
	comment string

	started, gotConn, wrote, gotHeaders, done time.Time

	method, url, proto string
	header             http.Header // as the client set it
	wire               http.Header // as the transport wrote it: with Host, User-Agent and the headers inner transports add
	body               body

	status              int
	respProto, statusLn string
	respHeader          http.Header
	respBody            body
	uncompressed        bool
	err                 error
}

// body is the start of a body and the length of all of it.
type body struct {
	data []byte
	size int64
}

func (b *body) add(p []byte, limit int) {
	b.size += int64(len(p))
	if room := limit - len(b.data); room > 0 {
		b.data = append(b.data, p[:min(len(p), room)]...)
	}
}

// Tap returns a function that wraps a transport so that r records its exchanges, each with
// comment (the receiver it was made for). A nil Recorder returns nil: nothing to wrap.
func (r *Recorder) Tap(comment string) func(http.RoundTripper) http.RoundTripper {
	if r == nil {
		return nil
	}
	return func(next http.RoundTripper) http.RoundTripper {
		if next == nil {
			next = http.DefaultTransport
		}
		return &tap{rec: r, next: next, comment: comment}
	}
}

type tap struct {
	rec     *Recorder
	next    http.RoundTripper
	comment string
}

func (t *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	r := t.rec
	e := &exchange{
		comment: t.comment, started: time.Now(),
		method: req.Method, url: req.URL.String(), proto: req.Proto, header: req.Header.Clone(),
	}
	r.mu.Lock()
	r.exchanges = append(r.exchanges, e)
	r.mu.Unlock()

	req, b, err := r.requestBody(req)
	r.mu.Lock()
	e.body = b
	r.mu.Unlock()
	if err != nil {
		r.finish(e, err)
		return nil, err
	}
	trace := &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { r.stamp(&e.gotConn) },
		WroteRequest: func(httptrace.WroteRequestInfo) { r.stamp(&e.wrote) },
		WroteHeaderField: func(key string, values []string) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if e.wire == nil {
				e.wire = http.Header{}
			}
			key = http.CanonicalHeaderKey(key)
			e.wire[key] = append(e.wire[key], values...)
		},
	}
	resp, err := t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		r.finish(e, err)
		return nil, err
	}
	r.mu.Lock()
	e.gotHeaders = time.Now()
	e.status, e.respProto, e.statusLn = resp.StatusCode, resp.Proto, resp.Status
	e.respHeader, e.uncompressed = resp.Header.Clone(), resp.Uncompressed
	r.mu.Unlock()
	resp.Body = &recordedBody{ReadCloser: resp.Body, rec: r, e: e}
	return resp, nil
}

// requestBody returns the start of the request's body and its length, and the request to
// send. A body that can be read again (GetBody, as http.NewRequest sets for in-memory bodies) is
// read from a copy; any other is read whole and sent from memory.
func (r *Recorder) requestBody(req *http.Request) (*http.Request, body, error) {
	var b body
	if req.Body == nil || req.Body == http.NoBody {
		return req, b, nil
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			_, _ = io.Copy(writerFunc(func(p []byte) { b.add(p, r.limit) }), rc)
			_ = rc.Close()
			return req, b, nil
		}
	}
	all, err := io.ReadAll(req.Body)
	_ = req.Body.Close() // a transport closes the body, even on error; it will not see this one
	b.add(all, r.limit)
	if err != nil {
		return req, b, err
	}
	clone := req.Clone(req.Context())
	clone.Body = io.NopCloser(bytes.NewReader(all))
	clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(all)), nil }
	return clone, b, nil
}

// requestHeader is the request's headers as sent: those the transport wrote, and those the
// client set that it did not get to write (the request failed first).
func (e *exchange) requestHeader() http.Header {
	h := e.header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, vs := range e.wire {
		h[k] = vs
	}
	return h
}

// stamp sets *at to now, once.
func (r *Recorder) stamp(at *time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if at.IsZero() {
		*at = time.Now()
	}
}

// finish marks the exchange over; err is why it failed, nil when its body was read to the end
// or closed.
func (r *Recorder) finish(e *exchange, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.done.IsZero() {
		e.done = time.Now()
		e.err = err
	}
}

// recordedBody keeps what the client reads of a response body.
type recordedBody struct {
	io.ReadCloser
	rec *Recorder
	e   *exchange
}

func (b *recordedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.rec.mu.Lock()
	b.e.respBody.add(p[:n], b.rec.limit)
	b.rec.mu.Unlock()
	switch {
	case errors.Is(err, io.EOF):
		b.rec.finish(b.e, nil)
	case err != nil:
		b.rec.finish(b.e, err)
	}
	return n, err
}

func (b *recordedBody) Close() error {
	err := b.ReadCloser.Close()
	b.rec.finish(b.e, nil)
	return err
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }
