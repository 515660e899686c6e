// The in-package fake of the CyberArk APIs, for the unit tests of this package: a strict
// protocol checker that refuses what the real API refuses (credentials, body shape, paging).
// Scenarios that need realistic volume and faults use internal/testsupport/simulator instead.

package cyberarkispreceiver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeISP speaks the CyberArk protocol: the Identity token endpoint and the Audit API's
// createQuery and results calls. It checks what the receiver sends (headers, body shape,
// page size, second-granular dateFrom) and records every violation, so a test fails when
// the receiver drifts from the protocol even if the data still flows.
type fakeISP struct {
	t   *testing.T
	srv *httptest.Server

	webAppID, clientID, clientSecret, apiKey string

	mu sync.Mutex
	// expiresIn is the token lifetime sent, in seconds; 0 leaves expires_in out.
	expiresIn int
	// skew makes the server consider tokens expired that much early, as a server whose clock
	// runs ahead would: only a client that renews before expiry never gets a 401.
	skew time.Duration
	// rejectTokens answers 401 to every Audit API call, as when the web app lacks the claims script.
	rejectTokens bool
	events       []fakeEvent
	tokens       map[string]time.Time // token → expiry
	queries      []fakeQuery
	calls        map[string]int                  // per op: token, createQuery, results
	times        map[string][]time.Time          // per op: arrival times
	script       map[string]map[int]fakeResponse // per op and 1-based call number: a canned answer
	hook         func(op string, n int)          // runs before each call is answered
	dateFroms    []string
	unauthorized int // 401s answered by the Audit API
	violations   []string
}

type fakeEvent struct {
	ts  time.Time
	raw map[string]any
}

type fakeQuery struct {
	from     time.Time
	pageSize int
	appCodes []string
}

type fakeResponse struct {
	status int
	header map[string]string
	body   string
}

func newFakeISP(t *testing.T) *fakeISP {
	t.Helper()
	s := &fakeISP{
		t: t, webAppID: "OtelApp", clientID: "svc-otel", clientSecret: "Sup3r-Secret-Passw0rd", apiKey: "ak-9f8e7d6c5b4a",
		expiresIn: 3600, tokens: map[string]time.Time{}, calls: map[string]int{}, times: map[string][]time.Time{},
		script: map[string]map[int]fakeResponse{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/OAuth2/Token/{app}", s.token)
	mux.HandleFunc("/api/audits/stream/createQuery", s.createQuery)
	mux.HandleFunc("/api/audits/stream/results", s.results)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.violations) > 0 {
			t.Errorf("protocol violations:\n%s", strings.Join(s.violations, "\n"))
		}
	})
	return s
}

func (s *fakeISP) URL() string { return s.srv.URL }

// clientLeft tells a body cut short because the receiver shut down mid-request (its context
// ended) from a malformed body: only the latter breaks the protocol.
func clientLeft(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// add inserts events in time order, as the API sorts them; an event older than those held
// models a late arrival.
func (s *fakeISP) add(events ...fakeEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	sort.SliceStable(s.events, func(i, j int) bool { return s.events[i].ts.Before(s.events[j].ts) })
}

func (s *fakeISP) respondAt(op string, n int, r fakeResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.script[op] == nil {
		s.script[op] = map[int]fakeResponse{}
	}
	s.script[op][n] = r
}

func (s *fakeISP) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

func (s *fakeISP) froms() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.dateFroms...)
}

func (s *fakeISP) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// begin counts the call and returns a scripted answer when there is one. It holds s.mu.
func (s *fakeISP) begin(op string, w http.ResponseWriter, r *http.Request) bool {
	s.calls[op]++
	n := s.calls[op]
	s.times[op] = append(s.times[op], time.Now())
	if s.hook != nil {
		s.hook(op, n)
	}
	if r.Method != http.MethodPost {
		s.violate("%s: method %s", op, r.Method)
	}
	resp, ok := s.script[op][n]
	if !ok {
		return false
	}
	for k, v := range resp.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(resp.status)
	_, _ = io.WriteString(w, resp.body)
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *fakeISP) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.begin("token", w, r) {
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		s.violate("token: Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		s.violate("token: form: %v", err)
	}
	if g, sc := r.PostForm.Get("grant_type"), r.PostForm.Get("scope"); g != "client_credentials" || sc != "isp.audit.events:read" {
		s.violate("token: grant_type %q scope %q", g, sc)
	}
	if app := r.PathValue("app"); app != s.webAppID {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "unknown app " + app})
		return
	}
	if r.PostForm.Get("client_id") != s.clientID || r.PostForm.Get("client_secret") != s.clientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "bad credentials"})
		return
	}
	tok := fmt.Sprintf("jwt-%d-%d", s.calls["token"], time.Now().UnixNano())
	life := s.expiresIn
	if life == 0 {
		life = 6 * 3600
	}
	s.tokens[tok] = time.Now().Add(time.Duration(life) * time.Second)
	resp := map[string]any{"access_token": tok, "token_type": "bearer", "scope": "isp.audit.events:read"}
	if s.expiresIn > 0 {
		resp["expires_in"] = s.expiresIn
	}
	writeJSON(w, http.StatusOK, resp)
}

// auditAuth checks the headers of an Audit API call and answers 401/403 itself.
func (s *fakeISP) auditAuth(op string, w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		s.violate("%s: Content-Type %q", op, ct)
	}
	if tel, err := base64.StdEncoding.DecodeString(r.Header.Get("x-cybr-telemetry")); err != nil ||
		!regexp.MustCompile(`^in=otelcol-audit&it=SIEM&iv=[^&]+&vn=OpenTelemetry$`).Match(tel) {
		s.violate("%s: x-cybr-telemetry %q", op, tel)
	}
	if r.Header.Get("x-api-key") != s.apiKey {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Forbidden: invalid API key " + r.Header.Get("x-api-key")})
		return false
	}
	auth := r.Header.Get("Authorization")
	exp, ok := s.tokens[strings.TrimPrefix(auth, "Bearer ")]
	if !strings.HasPrefix(auth, "Bearer ") || !ok || time.Now().Add(s.skew).After(exp) || s.rejectTokens {
		s.unauthorized++
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthorized"})
		return false
	}
	return true
}

var dateFromRE = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

func (s *fakeISP) createQuery(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.begin("createQuery", w, r) || !s.auditAuth("createQuery", w, r) {
		return
	}
	var body struct {
		Query struct {
			PageSize    int `json:"pageSize"`
			FilterModel struct {
				Date struct {
					DateFrom string `json:"dateFrom"`
				} `json:"date"`
				ApplicationCode []struct {
					Op     string   `json:"op"`
					Params []string `json:"params"`
				} `json:"applicationCode"`
			} `json:"filterModel"`
			SortModel []struct {
				FieldName string `json:"field_name"`
				Direction string `json:"direction"`
			} `json:"sortModel"`
		} `json:"query"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields() // a flat or misspelt body is silently ignored by the real API
	if err := dec.Decode(&body); err != nil {
		if clientLeft(err) {
			return
		}
		s.violate("createQuery: body: %v", err)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	q := body.Query
	if q.PageSize < 1 || q.PageSize > 500 {
		s.violate("createQuery: pageSize %d", q.PageSize)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	if len(q.SortModel) != 1 || q.SortModel[0].FieldName != "timestamp" || q.SortModel[0].Direction != "asc" {
		s.violate("createQuery: sortModel %+v", q.SortModel)
	}
	from := q.FilterModel.Date.DateFrom
	if !dateFromRE.MatchString(from) {
		s.violate("createQuery: dateFrom %q is not YYYY-MM-DD HH:MM:SS", from)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", from, time.UTC)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Bad Request"})
		return
	}
	fq := fakeQuery{from: t, pageSize: q.PageSize}
	for _, f := range q.FilterModel.ApplicationCode {
		if f.Op != "include" {
			s.violate("createQuery: applicationCode op %q", f.Op)
		}
		fq.appCodes = append(fq.appCodes, f.Params...)
	}
	s.dateFroms = append(s.dateFroms, from)
	s.queries = append(s.queries, fq)
	writeJSON(w, http.StatusOK, map[string]string{"cursorRef": cursorRef(len(s.queries)-1, 0)})
}

// cursorRef encodes the query and position, opaque to the client as the real one is.
func cursorRef(query, pos int) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(`{"q":%d,"currentPosition":[%d]}`, query, pos)))
}

func parseCursor(ref string) (query, pos int, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(ref)
	if err != nil {
		return 0, 0, false
	}
	_, err = fmt.Sscanf(string(raw), `{"q":%d,"currentPosition":[%d]}`, &query, &pos)
	return query, pos, err == nil
}

// matching returns the events a query selects, in time order: an open-ended query sees the
// events added after it was created, as a tail cursor does.
func (s *fakeISP) matching(q fakeQuery) []fakeEvent {
	var out []fakeEvent
	for _, e := range s.events {
		if e.ts.Before(q.from) {
			continue
		}
		if len(q.appCodes) > 0 {
			code, _ := e.raw["applicationCode"].(string)
			if !contains(q.appCodes, code) {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (s *fakeISP) results(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.begin("results", w, r) || !s.auditAuth("results", w, r) {
		return
	}
	var body struct {
		CursorRef string `json:"cursorRef"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		if clientLeft(err) {
			return
		}
		s.violate("results: body: %v", err)
	}
	qi, pos, ok := parseCursor(body.CursorRef)
	if !ok || qi >= len(s.queries) {
		s.violate("results: unknown cursor %q", body.CursorRef)
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "invalid cursor"})
		return
	}
	q := s.queries[qi]
	events := s.matching(q)
	end := min(pos+q.pageSize, len(events))
	data := make([]map[string]any, 0, end-pos)
	for _, e := range events[min(pos, end):end] {
		data = append(data, e.raw)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data":   data,
		"paging": map[string]any{"cursor": map[string]any{"cursorRef": cursorRef(qi, end)}},
	})
}

// page renders events as a results page, for canned answers.
func page(events []fakeEvent, cursor string) string {
	data := make([]map[string]any, len(events))
	for i, e := range events {
		data[i] = e.raw
	}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(map[string]any{"data": data, "paging": map[string]any{"cursor": map[string]any{"cursorRef": cursor}}})
	return b.String()
}

// makeEvents returns n Identity-like events from start on, perSecond of them in each second.
func makeEvents(prefix string, n int, start time.Time, perSecond int) []fakeEvent {
	out := make([]fakeEvent, n)
	for i := range out {
		ts := start.Truncate(time.Second).Add(time.Duration(i/perSecond) * time.Second).
			Add(time.Duration(i%perSecond) * time.Millisecond * 7)
		out[i] = fakeEvent{ts: ts, raw: map[string]any{
			"uuid":            fmt.Sprintf("%s-%05d", prefix, i),
			"tenantId":        "3c1e6f0a-27b4-4c55-8f3d-9e1a2b7c4d10",
			"timestamp":       ts.UnixMilli(),
			"username":        "user" + strconv.Itoa(i%17) + "@cyberark.cloud.12345",
			"applicationCode": "IDP",
			"auditCode":       "IDP1001",
			"auditType":       "Info",
			"action":          "cloud.core.login",
			"userId":          fmt.Sprintf("u-%04d", i%17),
			"source":          fmt.Sprintf("198.51.100.%d", i%250),
			"actionType":      "Login",
			"component":       "Identity",
			"serviceName":     "Identity",
			"message":         "cloud.core.login",
			"customData":      map[string]any{"success": true, "mechanism": "UP"},
			"cloudProvider":   "aws",
			"originRegion":    "eu-central-1",
		}}
	}
	return out
}
