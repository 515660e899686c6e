package xsoarauditreceiver

// The fakes: this file is the in-package fake of the Cortex public API, a strict protocol
// checker that refuses or flags every request the real API would refuse (credentials, body,
// paging window). Unit tests and the scenarios that need exact control of each reply use it;
// the scenarios that need realistic volume and faults use the shared simulator (see
// scenarios_test.go).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

// fakeXSOAR speaks the management audit log API and the agents' audit reports API of one
// tenant: it checks what a real tenant would (auth headers, the advanced signature, the body
// shape, a window of at most 100) and what this receiver promises on top (asc sort on
// timestamp, gte/lte filters, fresh nonces), filters and pages the records of each trail like
// the API, and lets tests inject faults and inserts.
type fakeXSOAR struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	keyID    string
	key      string
	advanced bool
	// omitTotal leaves total_count out of replies, like some captures of the API.
	omitTotal bool
	records   []fakeRecord // management log, sorted by insert time, then ID
	reports   []fakeRecord // agents' reports, sorted by TIMESTAMP, then arrival
	requests  []auditRequest
	problems  []string // protocol violations by the receiver: the test fails on any
	nonces    map[string]bool
	// fault may answer request n (1-based) instead of the normal handler.
	fault func(n int, req auditRequest) *fakeResponse
	// afterPage runs after a page was computed, before it is sent: inserts "during the walk".
	afterPage func(n int, req auditRequest)
}

type fakeRecord struct {
	id  int64
	ms  int64
	us  int64 // the microseconds past ms: agents' reports carry a fraction of a millisecond
	raw json.RawMessage
}

// in reports whether the record's time lies in [gte, lte], filters in whole ms compared with
// the exact time, as a server comparing numbers would: lte excludes a fraction past it.
func (r fakeRecord) in(gte, lte int64) bool {
	return r.ms >= gte && (r.ms < lte || r.ms == lte && r.us == 0)
}

// auditRequest is what the receiver asked for.
type auditRequest struct {
	Path                 string // the trail's path, without a trailing slash
	GTE, LTE             int64
	SearchFrom, SearchTo int
	Status               int // the status answered
	Returned             int // records returned
}

type fakeResponse struct {
	status int
	header http.Header
	body   string
}

const (
	testKeyID = "17"
	// testKey looks like a real advanced key: long, so that the secret scrubbing applies.
	testKey     = "Xk2pQ9vLr7TzA4mN8cWy3HbE6uJ1oFgS5dKqVtR0sZxCiYaMnB7wPlUe9jHhGf2D"
	unauthBody  = `{"reply":{"err_code":401,"err_msg":"Public API request unauthorized","err_extra":null}}`
	testPath    = defaultPath
	maxSkewTest = 5 * time.Minute
)

func newFakeXSOAR(t *testing.T, advanced bool) *fakeXSOAR {
	t.Helper()
	f := &fakeXSOAR{t: t, keyID: testKeyID, key: testKey, advanced: advanced, nonces: map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		f.srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		require.Empty(t, f.problems, "the receiver broke the protocol")
	})
	return f
}

// add inserts records with consecutive IDs from firstID, one per time given.
func (f *fakeXSOAR) add(firstID int64, times ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addLocked(firstID, times...)
}

func (f *fakeXSOAR) addLocked(firstID int64, times ...int64) {
	for i, ms := range times {
		id := firstID + int64(i)
		raw, err := json.Marshal(testRecord(id, ms))
		if err != nil {
			panic(err)
		}
		f.records = append(f.records, fakeRecord{id: id, ms: ms, raw: raw})
	}
	sort.SliceStable(f.records, func(i, j int) bool {
		if f.records[i].ms != f.records[j].ms {
			return f.records[i].ms < f.records[j].ms
		}
		return f.records[i].id < f.records[j].id
	})
}

// testRecord is a record of the extended shape.
func testRecord(id, ms int64) map[string]any {
	return map[string]any{
		"AUDIT_ID":                     id,
		"AUDIT_OWNER_NAME":             "User " + strconv.FormatInt(id%7, 10),
		"AUDIT_OWNER_EMAIL":            fmt.Sprintf("user%d@example.com", id%7),
		"AUDIT_ASSET_JSON":             "{}",
		"AUDIT_ASSET_NAMES":            "",
		"AUDIT_HOSTNAME":               nil,
		"AUDIT_RESULT":                 "SUCCESS",
		"AUDIT_REASON":                 nil,
		"AUDIT_DESCRIPTION":            "User logged in successfully",
		"AUDIT_ENTITY":                 "AUTH",
		"AUDIT_ENTITY_SUBTYPE":         "Login",
		"AUDIT_SESSION_ID":             856234719284 + id,
		"AUDIT_CASE_ID":                nil,
		"AUDIT_INSERT_TIME":            ms,
		"AUDIT_SEVERITY":               "SEV_010_INFO",
		"AUDIT_LINK":                   nil,
		"AUDIT_SOURCE_IP":              "203.0.113.45",
		"AUDIT_USER_AGENT":             "Mozilla/5.0",
		"AUDIT_USER_ROLES":             []string{"Security Analyst"},
		"AUDIT_ADDITIONAL_INFORMATION": map[string]any{"endpoint_count": 1},
		"AUDIT_OBJECT_ID":              nil,
	}
}

// addReports inserts agents' reports, one per time given in epoch microseconds, and returns
// their IDs: the hash of the JSON of each, as the receiver derives it.
func (f *fakeXSOAR) addReports(us ...int64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, len(us))
	for i, t := range us {
		n := int64(len(f.reports)) + 1
		raw, err := json.Marshal(testAgentReport(n, t))
		if err != nil {
			panic(err)
		}
		f.reports = append(f.reports, fakeRecord{id: n, ms: t / 1000, us: t % 1000, raw: raw})
		ids[i] = jsonpdata.ContentID(raw)
	}
	sort.SliceStable(f.reports, func(i, j int) bool {
		return f.reports[i].ms*1000+f.reports[i].us < f.reports[j].ms*1000+f.reports[j].us
	})
	return ids
}

// indentReports re-encodes every agents' report with indentation, as a server that
// pretty-prints would send it, and returns each one's bytes in the order addReports took them.
func (f *fakeXSOAR) indentReports() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]byte, len(f.reports))
	for i, r := range f.reports {
		var b bytes.Buffer
		if err := json.Indent(&b, r.raw, "", "  "); err != nil {
			panic(err)
		}
		f.reports[i].raw = b.Bytes()
		out[r.id-1] = b.Bytes()
	}
	return out
}

// testAgentReport is the n-th agents' report, at us microseconds after the epoch: shaped like
// the public samples, TIMESTAMP and RECEIVEDTIME in ms with a fraction, no ID.
func testAgentReport(n, us int64) map[string]any {
	host := fmt.Sprintf("WIN-%04d", n%50)
	return map[string]any{
		"TIMESTAMP":    float64(us) / 1000,
		"RECEIVEDTIME": float64(us+1_500_000+n) / 1000,
		"ENDPOINTID":   fmt.Sprintf("%032x", n%50+0xabc),
		"ENDPOINTNAME": host,
		"DOMAIN":       "CORP",
		"XDRVERSION":   "8.4.1.12345",
		"CATEGORY":     "Audit",
		"TYPE":         "Content Update",
		"SUBTYPE":      "Content Update",
		"RESULT":       "Success",
		"REASON":       nil,
		"DESCRIPTION":  fmt.Sprintf("Content update %d installed on %s", n, host),
	}
}

func (f *fakeXSOAR) url() string { return f.srv.URL }

func (f *fakeXSOAR) log() []auditRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]auditRequest(nil), f.requests...)
}

// takeProblems returns the violations noted so far and forgets them, for tests that provoke one.
func (f *fakeXSOAR) takeProblems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.problems
	f.problems = nil
	return p
}

func (f *fakeXSOAR) problem(format string, args ...any) {
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
}

func (f *fakeXSOAR) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req, resp := f.handle(r)
	req.Status = resp.status
	f.requests = append(f.requests, req)
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write([]byte(resp.body))
}

func (f *fakeXSOAR) handle(r *http.Request) (auditRequest, *fakeResponse) {
	var req auditRequest
	if r.Method != http.MethodPost {
		f.problem("method %s", r.Method)
		return req, &fakeResponse{status: http.StatusMethodNotAllowed}
	}
	path := strings.TrimSuffix(r.URL.Path, "/") // the API takes both forms
	var records []fakeRecord
	switch path {
	case testPath:
		records = f.records
	case agentsReportsPath:
		records = f.reports
	default:
		return req, &fakeResponse{status: http.StatusInternalServerError, body: `{"reply":{"err_code":500,"err_msg":"An error occurred while processing XDR public API","err_extra":null}}`}
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.problem("Content-Type %q", ct)
	}
	if !f.authorized(r.Header) {
		return req, &fakeResponse{status: http.StatusUnauthorized, body: unauthBody}
	}
	req, bad := f.parse(r)
	req.Path = path
	if bad != nil {
		return req, bad
	}
	n := len(f.requests) + 1
	if f.fault != nil {
		if resp := f.fault(n, req); resp != nil {
			return req, resp
		}
	}
	var match []fakeRecord
	for _, rec := range records {
		if rec.in(req.GTE, req.LTE) {
			match = append(match, rec)
		}
	}
	var data [][]byte
	for i := req.SearchFrom; i < req.SearchTo && i < len(match); i++ {
		data = append(data, match[i].raw)
	}
	req.Returned = len(data)
	if f.afterPage != nil {
		f.afterPage(n, req)
	}
	var b bytes.Buffer
	b.WriteString(`{"reply":{`)
	if !f.omitTotal {
		fmt.Fprintf(&b, `"total_count":%d,`, len(match))
	}
	fmt.Fprintf(&b, `"result_count":%d,"data":[%s]}}`, len(data), bytes.Join(data, []byte(",")))
	return req, &fakeResponse{status: http.StatusOK, body: b.String()}
}

// authorized checks the credentials as the tenant would, and notes as a problem anything a
// correct client never sends (a short nonce, a reused one, a stale timestamp).
func (f *fakeXSOAR) authorized(h http.Header) bool {
	if h.Get("x-xdr-auth-id") != f.keyID {
		return false
	}
	auth := h.Get("Authorization")
	if !f.advanced {
		return auth == f.key
	}
	nonce, ts := h.Get("x-xdr-nonce"), h.Get("x-xdr-timestamp")
	if len(nonce) != nonceLength {
		f.problem("nonce of %d characters", len(nonce))
	}
	if strings.Trim(nonce, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		f.problem("nonce %q has characters outside [A-Za-z0-9]", nonce)
	}
	if f.nonces[nonce] {
		f.problem("nonce %q reused", nonce)
	}
	f.nonces[nonce] = true
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		f.problem("timestamp %q", ts)
		return false
	}
	if d := time.Since(time.UnixMilli(ms)); d > maxSkewTest || d < -maxSkewTest {
		f.problem("timestamp %s away from now", d)
	}
	sum := sha256.Sum256([]byte(f.key + nonce + ts))
	return auth == hex.EncodeToString(sum[:])
}

// parse reads the body strictly: the receiver must send exactly the documented shape.
func (f *fakeXSOAR) parse(r *http.Request) (auditRequest, *fakeResponse) {
	var body struct {
		RequestData *struct {
			Filters []struct {
				Field    string          `json:"field"`
				Operator string          `json:"operator"`
				Value    json.RawMessage `json:"value"`
			} `json:"filters"`
			SearchFrom *int `json:"search_from"`
			SearchTo   *int `json:"search_to"`
			Sort       *struct {
				Field   string `json:"field"`
				Keyword string `json:"keyword"`
			} `json:"sort"`
		} `json:"request_data"`
	}
	var req auditRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(&body)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		// The client went away mid-request: a stopped receiver cancels the request it had in
		// flight. Not a protocol violation; nobody reads this answer.
		return req, &fakeResponse{status: http.StatusBadRequest}
	}
	if err != nil || body.RequestData == nil {
		f.problem("body: %v", err)
		return req, &fakeResponse{status: http.StatusBadRequest, body: `{"reply":{"err_code":400,"err_msg":"Request is not valid JSON","err_extra":null}}`}
	}
	rd := body.RequestData
	if rd.Sort == nil || rd.Sort.Field != "timestamp" || rd.Sort.Keyword != "asc" {
		f.problem("sort %+v", rd.Sort)
	}
	var gte, lte int
	for _, fl := range rd.Filters {
		ms, err := strconv.ParseInt(string(fl.Value), 10, 64)
		if fl.Field != "timestamp" || err != nil {
			f.problem("filter %s %s %s", fl.Field, fl.Operator, fl.Value)
			continue
		}
		switch fl.Operator {
		case "gte":
			req.GTE = ms
			gte++
		case "lte":
			req.LTE = ms
			lte++
		default:
			f.problem("operator %q", fl.Operator)
		}
	}
	if gte != 1 || lte != 1 {
		f.problem("want one gte and one lte filter, got %d and %d", gte, lte)
	}
	if rd.SearchFrom == nil || rd.SearchTo == nil {
		f.problem("search_from/search_to missing")
		return req, &fakeResponse{status: http.StatusBadRequest}
	}
	req.SearchFrom, req.SearchTo = *rd.SearchFrom, *rd.SearchTo
	if size := req.SearchTo - req.SearchFrom; req.SearchFrom < 0 || size <= 0 || size > maxPageSize {
		f.problem("window %d..%d", req.SearchFrom, req.SearchTo)
		return req, &fakeResponse{status: http.StatusInternalServerError,
			body: `{"reply":{"err_code":500,"err_msg":"0 < search_size <= 100","err_extra":null}}`}
	}
	return req, nil
}

// The server refuses a window over 100 records, so a receiver that sent one would fail every
// other test here (the fake notes it as a problem). This proves the check itself bites.
func TestServerRefusesWindowOver100(t *testing.T) {
	f := newFakeXSOAR(t, false)
	body := `{"request_data":{"filters":[{"field":"timestamp","operator":"gte","value":1},{"field":"timestamp","operator":"lte","value":2}],"search_from":0,"search_to":101,"sort":{"field":"timestamp","keyword":"asc"}}}`
	req, err := http.NewRequest(http.MethodPost, f.url()+defaultPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", testKey)
	req.Header.Set("x-xdr-auth-id", testKeyID)
	resp, err := f.srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, []string{"window 0..101"}, f.takeProblems())

	// And the receiver, at the largest page size, never asks for more than 100.
	base := pastMs()
	f.add(1, spaced(base, 450, 1)...)
	cfg := testConfig(t, f, base)
	cfg.PageSize = maxPageSize
	r := startReceiver(t, cfg, t.TempDir())
	r.waitRecords(450)
	r.stop()
	for _, l := range f.log()[1:] {
		assert.LessOrEqual(t, l.SearchTo-l.SearchFrom, maxPageSize)
	}
}
