//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostile is a vendor API that misbehaves on purpose, bound to a loopback address. Each request
// is answered by serve; hits counts the requests by the path's first segment, which names the
// case a receiver instance is pointed at.
type hostile struct {
	url   string
	mu    sync.Mutex
	hits  map[string]int
	seen  []string // "METHOD path header-names" of every request, for failure messages
	serve func(w http.ResponseWriter, r *http.Request, n int)
}

// newHostile starts a server on host (127.0.0.1 or 127.0.0.2) that stops with the test.
func newHostile(t *testing.T, host string, serve func(w http.ResponseWriter, r *http.Request, n int)) *hostile {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	require.NoError(t, err)
	h := &hostile{url: "http://" + l.Addr().String(), hits: map[string]int{}, serve: serve}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := caseOf(r.URL.Path)
	h.mu.Lock()
	h.hits[c]++
	n := h.hits[c]
	var names []string
	for k := range r.Header {
		names = append(names, k)
	}
	h.seen = append(h.seen, fmt.Sprintf("%s %s %v", r.Method, r.URL.Path, names))
	h.mu.Unlock()
	if h.serve == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.serve(w, r, n)
}

func (h *hostile) count(c string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[c]
}

func (h *hostile) requests() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

// caseOf is the first segment of a path: /tok-301/OAuth2/Token/x → tok-301.
func caseOf(path string) string {
	c, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return c
}

// The answers a CyberArk tenant gives before the results page.
const (
	tokenReply  = `{"access_token":"e2e-token","token_type":"Bearer","expires_in":3600}`
	cursorReply = `{"cursorRef":"e2e-cursor"}`
)

func reply(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	_, _ = w.Write(body)
}

// redirectCodes are the statuses that make Go's client follow a redirect, with or without the body.
var redirectCodes = []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect}

// 3. No vendor call follows a redirect, whatever the status, whether it leads to another host
// or to another port of the same host: the credentials of a call (CyberArk's client_secret in
// the token request body, x-api-key and the bearer token, XSOAR's Authorization and key ID)
// must reach no one but the configured host. The collector reports the redirect instead, naming
// where it pointed.
func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newHostile(t, "127.0.0.2", nil) // another host
	samePort := newHostile(t, "127.0.0.1", nil)  // the same host, another port
	api := newHostile(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request, _ int) {
		c := caseOf(r.URL.Path)
		kind, code, _ := strings.Cut(c, "-")
		var status int
		_, _ = fmt.Sscan(code, &status)
		target := elsewhere.url
		if kind == "xsport" {
			target = samePort.url
		}
		redirect := func() { http.Redirect(w, r, target+r.URL.Path, status) }
		isToken := strings.Contains(r.URL.Path, "/OAuth2/Token/")
		switch {
		case kind == "token" && isToken, strings.HasPrefix(kind, "xs"):
			redirect()
		case isToken:
			reply(w, []byte(tokenReply))
		case kind == "create" && strings.HasSuffix(r.URL.Path, "/createQuery"):
			redirect()
		case strings.HasSuffix(r.URL.Path, "/createQuery"):
			reply(w, []byte(cursorReply))
		case kind == "results" && strings.HasSuffix(r.URL.Path, "/results"):
			redirect()
		default:
			http.NotFound(w, r)
		}
	})

	// One receiver instance per call and status: the redirect comes at the token call, at
	// createQuery, at results; XSOAR's single call goes to another host or another port.
	var recv, names []string
	cases := map[string]string{} // case → the host:port its Location names
	for _, code := range redirectCodes {
		for _, kind := range []string{"token", "create", "results"} {
			c := fmt.Sprintf("%s-%d", kind, code)
			cases[c] = strings.TrimPrefix(elsewhere.url, "http://")
			names = append(names, "cyberarkisp/"+c)
			recv = append(recv, fmt.Sprintf(`  cyberarkisp/%[1]s:
    endpoint: %[2]s/%[1]s
    identity_url: %[2]s/%[1]s
    web_app_id: app
    client_id: svc@example.com
    client_secret: e2e-client-secret
    api_key: e2e-api-key
    start_time: 1 hour ago
    poll_interval: 1s
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
`, c, api.url))
		}
		for _, kind := range []string{"xshost", "xsport"} {
			c := fmt.Sprintf("%s-%d", kind, code)
			cases[c] = strings.TrimPrefix(elsewhere.url, "http://")
			if kind == "xsport" {
				cases[c] = strings.TrimPrefix(samePort.url, "http://")
			}
			names = append(names, "xsoaraudit/"+c)
			recv = append(recv, fmt.Sprintf(`  xsoaraudit/%[1]s:
    endpoint: %[2]s
    path: /%[1]s/public_api/v1/audits/management_logs
    api_key_id: "7"
    api_key: e2e-xsoar-key
    security_level: standard
    start_time: 1 hour ago
    poll_interval: 1s
    settle_delay: 0s
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 200ms
`, c, api.url))
		}
	}
	cfg := fmt.Sprintf(`
receivers:
%s
exporters:
  debug:
    verbosity: basic
service:
  telemetry:
    metrics:
      level: none
    logs:
      sampling:
        enabled: false # twenty receivers log the same message: each must be seen
  pipelines:
    logs:
      receivers: [%s]
      exporters: [debug]
`, strings.Join(recv, ""), strings.Join(names, ", "))
	agent := startCollector(t, t.TempDir(), "agent", cfg)

	// Every case reaches the call that redirects, twice (two polls), and the log names where
	// each redirect pointed.
	require.Eventually(t, func() bool {
		for c := range cases {
			calls := 2 // token and createQuery before results; token before createQuery
			switch {
			case strings.HasPrefix(c, "token"), strings.HasPrefix(c, "xs"):
				calls = 0
			case strings.HasPrefix(c, "create"):
				calls = 1
			}
			if api.count(c) < calls+2 {
				return false
			}
		}
		return true
	}, time.Minute, 100*time.Millisecond, "every receiver made its calls:\n%s", tail(agent.logs()))
	time.Sleep(time.Second) // anything that follows a redirect does so by now

	assert.Empty(t, elsewhere.requests(), "a redirect to another host was followed")
	assert.Empty(t, samePort.requests(), "a redirect to another port of the same host was followed")
	logs := agent.logs()
	for c, host := range cases {
		setting := "endpoint"
		if strings.HasPrefix(c, "token") {
			setting = "identity_url"
		}
		// Each line carries the instance's ID: "otelcol.component.id": "cyberarkisp/token-301".
		line := regexp.MustCompile(`(?m)^.*/`+regexp.QuoteMeta(c)+`".*$`).FindAllString(logs, -1)
		found := false
		for _, l := range line {
			if strings.Contains(l, host) && strings.Contains(l, setting) {
				found = true
				break
			}
		}
		assert.True(t, found, "%s: the log names the redirect's host %s and the setting %s:\n%s", c, host, setting, strings.Join(line, "\n"))

	}
	assert.True(t, agent.running(), "the collector keeps running")
	for _, secret := range []string{"e2e-client-secret", "e2e-api-key", "e2e-xsoar-key", "e2e-token"} {
		assert.NotContains(t, logs, secret, "secrets never reach the log")
	}
}

// pageBytes is the size of the oversized pages: under the 32 MiB that the HTTP client accepted
// before per-vendor caps, so that the page is decoded in full by a collector without them.
const pageBytes = 31 << 20

// bigCyberArkPage renders a results page of ordinary events, about size bytes.
func bigCyberArkPage(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(`{"data":[`)
	start := time.Now().Add(-30 * time.Minute).UnixMilli()
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"uuid":"e2e-%08d-4b1c-9a3e-6f1d2c3b4a59","tenantId":"11111111-2222-3333-4444-555555555555",`+
			`"timestamp":%d,"username":"alice%d@example.com","userId":"7d1c0a4e-%04d-4f6e-8b6a-2c1d3e4f5a6b",`+
			`"applicationCode":"IDP","auditCode":"IDP1001","auditType":"Info","action":"cloud.core.login","actionType":"Login",`+
			`"source":"203.0.113.%d","component":"Identity","serviceName":"Identity","cloudProvider":"AWS","originRegion":"us-east-1",`+
			`"identityType":"HUMAN","accessMethod":"UI","sessionId":"s-%d","correlationId":"c-%d",`+
			`"message":"User alice%d@example.com logged in with password and one-time passcode from a managed device",`+
			`"customData":{"user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",`+
			`"auth_methods":["pwd","otp"],"session":{"mfa":true,"risk":"low","device":"managed","attempt":%d}}}`,
			i, start+int64(i), i%1000, i%10000, i%250, i, i, i%1000, i%5)
	}
	b.WriteString(`],"paging":{"cursor":{"cursorRef":"e2e-next"}}}`)
	return b.Bytes()
}

// bigXSOARReply renders a management_logs reply of ordinary records, about size bytes.
func bigXSOARReply(size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(`{"reply":{"data":[`)
	start := time.Now().Add(-30 * time.Minute).UnixMilli()
	n := 0
	for ; b.Len() < size; n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"AUDIT_ID":%d,"AUDIT_OWNER_NAME":"alice%d","AUDIT_OWNER_EMAIL":"alice%d@example.com",`+
			`"AUDIT_ASSET_JSON":{"playbook":"Phishing - Generic v3","task":%d,"fields":["severity","owner","status"]},`+
			`"AUDIT_ASSET_NAMES":"Phishing - Generic v3","AUDIT_HOSTNAME":"xsoar-engine-%d","AUDIT_RESULT":"SUCCESS",`+
			`"AUDIT_REASON":null,"AUDIT_DESCRIPTION":"Playbook task %d completed by alice%d after a manual review of the incident",`+
			`"AUDIT_ENTITY":"PLAYBOOKS","AUDIT_ENTITY_SUBTYPE":"Run","AUDIT_SESSION_ID":"s-%d","AUDIT_CASE_ID":%d,`+
			`"AUDIT_INSERT_TIME":%d,"AUDIT_SEVERITY":"SEV_010_INFO","AUDIT_LINK":null,"AUDIT_SOURCE_IP":"198.51.100.%d",`+
			`"AUDIT_USER_AGENT":"Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0","AUDIT_USER_ROLES":["Analyst","Playbook Author"],`+
			`"AUDIT_ADDITIONAL_INFORMATION":{"investigation":%d,"duration_ms":%d},"AUDIT_OBJECT_ID":%d}`,
			n+1, n%1000, n%1000, n, n%8, n, n%1000, n, n%5000, start+int64(n), n%250, n, n%9000, n)
	}
	fmt.Fprintf(&b, `],"total_count":%d,"result_count":%d}}`, n, n)
	return b.Bytes()
}

// densePage is a page just under the response cap whose one record is an array of zeros: the
// most values a byte of JSON can carry, each far larger in pdata than in text.
func densePage(head, tail string, size int) []byte {
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(head)
	for b.Len() < size-len(tail)-2 {
		b.WriteString("0,")
	}
	b.WriteString("0")
	b.WriteString(tail)
	return b.Bytes()
}

// hostilePage is one way a vendor answers with more than a page can be.
type hostilePage struct {
	mode    string
	page    []byte
	chunked bool           // sent without Content-Length: it cannot be refused unread
	names   *regexp.Regexp // what the log must say: the limit and the page
}

// 6. A vendor that answers with a page far larger than a page can be (31 MiB, announced or
// chunked), or with a page under the byte cap that would decode into millions of values, does
// not drive the collector out of memory: the page is refused, over several polls, and the log
// says which limit the page broke and which page it was.
func TestOversizedPageKeepsMemoryBounded(t *testing.T) {
	const maxRSS = 300 << 20
	cyberarkTooLarge := regexp.MustCompile(`results page \(page 1 of the query from [0-9-]+ [0-9:]+ UTC\).*larger than \d+ bytes \([\d.]+ MiB\)`)
	xsoarTooLarge := regexp.MustCompile(`records 0 to 100\).*larger than \d+ bytes \([\d.]+ MiB\)`)
	start := time.Now().Add(-30 * time.Minute).UnixMilli()
	for _, c := range []struct {
		receiver string
		pages    []hostilePage
		config   func(url string) string
		calls    string // the path that serves the page
	}{
		{
			receiver: "cyberarkisp", calls: "/results",
			pages: []hostilePage{
				{mode: "announced", page: bigCyberArkPage(pageBytes), names: cyberarkTooLarge},
				{mode: "chunked", page: bigCyberArkPage(pageBytes), chunked: true, names: cyberarkTooLarge},
				{mode: "dense", page: densePage(fmt.Sprintf(`{"data":[{"uuid":"d1","timestamp":%d,"x":[`, start),
					`]}],"paging":{"cursor":{"cursorRef":"e2e-next"}}}`, 7<<20),
					names: regexp.MustCompile(`results page \(page 1 of the query from [0-9-]+ [0-9:]+ UTC\).*more than \d+ JSON values`)},
			},
			config: func(url string) string {
				return fmt.Sprintf(`  cyberarkisp:
    endpoint: %[1]s/big
    identity_url: %[1]s/big
    web_app_id: app
    client_id: svc@example.com
    client_secret: e2e-client-secret
    api_key: e2e-api-key
`, url)
			},
		},
		{
			receiver: "xsoaraudit", calls: "/management_logs",
			pages: []hostilePage{
				{mode: "announced", page: bigXSOARReply(pageBytes), names: xsoarTooLarge},
				{mode: "chunked", page: bigXSOARReply(pageBytes), chunked: true, names: xsoarTooLarge},
				{mode: "dense", page: densePage(fmt.Sprintf(`{"reply":{"data":[{"AUDIT_ID":1,"AUDIT_INSERT_TIME":%d,"x":[`, start), `]}]}}`, 6<<20),
					names: regexp.MustCompile(`records 0 to 100\).*more than \d+ JSON values`)},
			},
			config: func(url string) string {
				return fmt.Sprintf(`  xsoaraudit:
    endpoint: %[1]s
    path: /big/public_api/v1/audits/management_logs
    api_key_id: "7"
    api_key: e2e-xsoar-key
    security_level: standard
    settle_delay: 0s
`, url)
			},
		},
	} {
		for _, p := range c.pages {
			t.Run(c.receiver+"/"+p.mode, func(t *testing.T) {
				var pages atomic.Int32
				api := newHostile(t, "127.0.0.1", func(w http.ResponseWriter, r *http.Request, _ int) {
					switch {
					case strings.HasSuffix(r.URL.Path, c.calls):
						pages.Add(1)
						if p.chunked {
							_, _ = w.Write(p.page)
						} else {
							reply(w, p.page)
						}
					case strings.Contains(r.URL.Path, "/OAuth2/Token/"):
						reply(w, []byte(tokenReply))
					case strings.HasSuffix(r.URL.Path, "/createQuery"):
						reply(w, []byte(cursorReply))
					default:
						http.NotFound(w, r)
					}
				})
				dir := t.TempDir()
				agent := startCollector(t, dir, "agent", fmt.Sprintf(`
receivers:
%s    start_time: 1 hour ago
    poll_interval: 1s
exporters:
  file:
    path: %s
    format: proto
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [%s]
      exporters: [file]
`, c.config(api.url), filepath.Join(dir, "records.proto"), c.receiver))

				const polls = 4
				require.Eventually(t, func() bool { return pages.Load() >= polls || !agent.running() },
					2*time.Minute, 100*time.Millisecond, "the receiver polls the hostile page %d times:\n%s", polls, tail(agent.logs()))
				time.Sleep(time.Second) // the last page read is handled by now
				require.True(t, agent.running(), "the collector keeps running:\n%s", tail(agent.logs()))
				hwm, err := peakRSS(agent.cmd.Process.Pid)
				require.NoError(t, err)
				t.Logf("%s, %s: peak RSS %.0f MiB over %d polls of a %.1f MiB page", c.receiver, p.mode, float64(hwm)/(1<<20), pages.Load(), float64(len(p.page))/(1<<20))
				assert.Less(t, hwm, int64(maxRSS), "peak RSS")
				assert.Regexp(t, p.names, agent.logs(), "the log names the limit and the page")
			})
		}
	}
}
