package simulator

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable simulator clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startSim builds and starts a simulator, and closes it when the test ends.
func startSim(t testing.TB, o Options) (*Simulator, string) {
	t.Helper()
	if o.Seed == 0 {
		o.Seed = 42
	}
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	base, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q is not on 127.0.0.1", base)
	}
	return s, base
}

var testClient = &http.Client{Timeout: 10 * time.Second}

type httpResult struct {
	status int
	header http.Header
	body   []byte
}

func (r httpResult) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

func do(t testing.TB, req *http.Request) httpResult {
	t.Helper()
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return httpResult{resp.StatusCode, resp.Header, body}
}

func newReq(t testing.TB, method, u, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// ---- CyberArk helpers ----

func tokenForm(appID string, kv ...string) (string, string) {
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return "/OAuth2/Token/" + appID, f.Encode()
}

func postToken(t testing.TB, base, path, form string, basic ...string) httpResult {
	t.Helper()
	req := newReq(t, http.MethodPost, base+path, form)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(basic[0], basic[1])
	}
	return do(t, req)
}

// caToken gets a token with the default demo credentials.
func caToken(t testing.TB, base string) string {
	t.Helper()
	p, f := tokenForm(DefaultWebAppID, "grant_type", "client_credentials", "scope", CyberArkScope,
		"client_id", DefaultClientID, "client_secret", DefaultClientSecret)
	r := postToken(t, base, p, f)
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.json(t, &tok)
	return tok.AccessToken
}

type caClient struct {
	t      testing.TB
	base   string
	token  string
	apiKey string
}

func newCAClient(t testing.TB, base string) *caClient {
	t.Helper()
	return &caClient{t: t, base: base, token: caToken(t, base), apiKey: DefaultAPIKey}
}

func (c *caClient) post(path, body string) httpResult {
	c.t.Helper()
	req := newReq(c.t, http.MethodPost, c.base+path, body)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.apiKey != "" {
		req.Header.Set("x-api-key", c.apiKey)
	}
	return do(c.t, req)
}

// createQuery posts body and returns the cursor, failing on anything but 200.
func (c *caClient) createQuery(body string) string {
	c.t.Helper()
	r := c.post("/api/audits/stream/createQuery", body)
	if r.status != http.StatusOK {
		c.t.Fatalf("createQuery: %d %s", r.status, r.body)
	}
	var out struct {
		CursorRef string `json:"cursorRef"`
	}
	r.json(c.t, &out)
	if out.CursorRef == "" {
		c.t.Fatalf("createQuery: empty cursorRef in %s", r.body)
	}
	return out.CursorRef
}

type caEvent struct {
	UUID            string `json:"uuid"`
	Timestamp       int64  `json:"timestamp"`
	ApplicationCode string `json:"applicationCode"`
}

type caPage struct {
	Data   []json.RawMessage `json:"data"`
	Paging struct {
		Cursor struct {
			CursorRef string `json:"cursorRef"`
		} `json:"cursor"`
	} `json:"paging"`
}

func (c *caClient) results(cursor string) (caPage, httpResult) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]string{"cursorRef": cursor})
	r := c.post("/api/audits/stream/results", string(body))
	var p caPage
	if r.status == http.StatusOK {
		r.json(c.t, &p)
		if p.Paging.Cursor.CursorRef == "" {
			c.t.Fatalf("results page without a cursor: %s", r.body)
		}
	}
	return p, r
}

func events(t testing.TB, p caPage) []caEvent {
	t.Helper()
	out := make([]caEvent, len(p.Data))
	for i, raw := range p.Data {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// drain follows cursors until an empty page and returns every event and the final cursor.
func (c *caClient) drain(cursor string) ([]caEvent, string) {
	c.t.Helper()
	var all []caEvent
	for range 10000 {
		p, r := c.results(cursor)
		if r.status != http.StatusOK {
			c.t.Fatalf("results: %d %s", r.status, r.body)
		}
		cursor = p.Paging.Cursor.CursorRef
		if len(p.Data) == 0 {
			return all, cursor
		}
		all = append(all, events(c.t, p)...)
	}
	c.t.Fatal("drain did not reach an empty page")
	return nil, ""
}

func uuids(evs []caEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.UUID
	}
	return out
}

func caDate(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// ---- XSOAR helpers ----

type xsClient struct {
	t     testing.TB
	base  string
	keyID string
	key   string
	level KeyLevel
	path  string
	now   func() time.Time // the simulator clock, for advanced-key timestamps
}

func newXSClient(t testing.TB, base string, level KeyLevel) *xsClient {
	t.Helper()
	return &xsClient{t: t, base: base, keyID: DefaultXSOARKeyID, key: DefaultXSOARKey, level: level,
		path: "/public_api/v1/audits/management_logs", now: time.Now}
}

func newNonce(t testing.TB) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 64)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func sign(key, nonce, ts string) string {
	sum := sha256.Sum256([]byte(key + nonce + ts))
	return hex.EncodeToString(sum[:])
}

// headers builds auth headers for the client's key level at time now.
func (c *xsClient) headers(now time.Time) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-xdr-auth-id", c.keyID)
	if c.level == KeyStandard {
		h.Set("Authorization", c.key)
		return h
	}
	nonce := newNonce(c.t)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	h.Set("x-xdr-nonce", nonce)
	h.Set("x-xdr-timestamp", ts)
	h.Set("Authorization", sign(c.key, nonce, ts))
	return h
}

func (c *xsClient) send(body string, h http.Header) httpResult {
	c.t.Helper()
	req := newReq(c.t, http.MethodPost, c.base+c.path, body)
	req.Header = h
	return do(c.t, req)
}

func (c *xsClient) post(body string) httpResult {
	c.t.Helper()
	return c.send(body, c.headers(c.now()))
}

type xsReply struct {
	Reply struct {
		TotalCount  *int              `json:"total_count"`
		ResultCount int               `json:"result_count"`
		Data        []json.RawMessage `json:"data"`
		ErrCode     int               `json:"err_code"`
		ErrMsg      string            `json:"err_msg"`
	} `json:"reply"`
}

type xsRecord struct {
	ID         int64  `json:"AUDIT_ID"`
	InsertTime int64  `json:"AUDIT_INSERT_TIME"`
	Entity     string `json:"AUDIT_ENTITY"`
	Result     string `json:"AUDIT_RESULT"`
}

func (c *xsClient) page(body string) (xsReply, []xsRecord) {
	c.t.Helper()
	r := c.post(body)
	if r.status != http.StatusOK {
		c.t.Fatalf("management_logs: %d %s", r.status, r.body)
	}
	var rep xsReply
	r.json(c.t, &rep)
	recs := make([]xsRecord, len(rep.Reply.Data))
	for i, raw := range rep.Reply.Data {
		if err := json.Unmarshal(raw, &recs[i]); err != nil {
			c.t.Fatal(err)
		}
	}
	if rep.Reply.ResultCount != len(recs) {
		c.t.Fatalf("result_count %d but %d records", rep.Reply.ResultCount, len(recs))
	}
	return rep, recs
}

func xsBody(from, to int, sort string, filters ...string) string {
	var b bytes.Buffer
	b.WriteString(`{"request_data":{"filters":[` + strings.Join(filters, ",") + `]`)
	b.WriteString(`,"search_from":` + strconv.Itoa(from) + `,"search_to":` + strconv.Itoa(to))
	if sort != "" {
		b.WriteString(`,"sort":{"field":"timestamp","keyword":"` + sort + `"}`)
	}
	b.WriteString(`}}`)
	return b.String()
}

func tsFilter(op string, t time.Time) string {
	return `{"field":"timestamp","operator":"` + op + `","value":` + strconv.FormatInt(t.UnixMilli(), 10) + `}`
}

func xsIDs(recs []xsRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = strconv.FormatInt(r.ID, 10)
	}
	return out
}
