package simulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTokenSuccess(t *testing.T) {
	_, base := startSim(t, Options{TokenTTL: 90 * time.Second})
	cases := map[string]func() httpResult{
		"form credentials": func() httpResult {
			p, f := tokenForm("otelaudit", "grant_type", "client_credentials", "scope", CyberArkScope,
				"client_id", DefaultClientID, "client_secret", DefaultClientSecret)
			return postToken(t, base, p, f)
		},
		"basic credentials, lower-case path": func() httpResult {
			_, f := tokenForm("otelaudit", "grant_type", "client_credentials", "scope", CyberArkScope)
			return postToken(t, base, "/oauth2/token/otelaudit", f, DefaultClientID, DefaultClientSecret)
		},
	}
	for name, call := range cases {
		t.Run(name, func(t *testing.T) {
			r := call()
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var tok struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
			}
			r.json(t, &tok)
			if tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 90 {
				t.Fatalf("unexpected token response %s", r.body)
			}
			// The token must be usable on the audit API.
			c := &caClient{t: t, base: base, token: tok.AccessToken, apiKey: DefaultAPIKey}
			c.createQuery(`{"query":{"pageSize":10}}`)
		})
	}
}

func TestTokenErrors(t *testing.T) {
	_, base := startSim(t, Options{})
	good := []string{"grant_type", "client_credentials", "scope", CyberArkScope,
		"client_id", DefaultClientID, "client_secret", DefaultClientSecret}
	with := func(k, v string) []string {
		out := slices.Clone(good)
		i := slices.Index(out, k)
		out[i+1] = v
		return out
	}
	cases := []struct {
		name       string
		app        string
		form       []string
		basic      []string
		status     int
		errCode    string
		descSubstr string
	}{
		{"wrong app id", "nosuchapp", good, nil, 400, "invalid_request", "unknown app nosuchapp"},
		{"app id is case-sensitive", "OtelAudit", good, nil, 400, "invalid_request", "unknown app OtelAudit"},
		{"bad secret", "otelaudit", with("client_secret", "nope"), nil, 401, "invalid_client", ""},
		{"bad client id", "otelaudit", with("client_id", "someone"), nil, 401, "invalid_client", ""},
		{"bad basic credentials", "otelaudit", []string{"grant_type", "client_credentials", "scope", CyberArkScope},
			[]string{DefaultClientID, "wrong"}, 401, "invalid_client", ""},
		{"wrong scope", "otelaudit", with("scope", "api"), nil, 400, "invalid_scope", ""},
		{"other grant type", "otelaudit", with("grant_type", "password"), nil, 400, "invalid_grant", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, f := tokenForm(tc.app, tc.form...)
			r := postToken(t, base, p, f, tc.basic...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var e struct {
				Error string `json:"error"`
				Desc  string `json:"error_description"`
			}
			r.json(t, &e)
			if e.Error != tc.errCode || !strings.Contains(e.Desc, tc.descSubstr) {
				t.Fatalf("error %q %q, want %q containing %q", e.Error, e.Desc, tc.errCode, tc.descSubstr)
			}
		})
	}
}

func TestTokenExpiryAndRevocation(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now, TokenTTL: time.Minute})
	c := newCAClient(t, base)
	const q = `{"query":{"pageSize":10}}`
	c.createQuery(q)

	clock.Add(61 * time.Second)
	if r := c.post("/api/audits/stream/createQuery", q); r.status != http.StatusUnauthorized {
		t.Fatalf("expired token: status %d, want 401", r.status)
	}

	c.token = caToken(t, base)
	c.createQuery(q)
	if n := s.RevokeTokens(); n != 1 {
		t.Fatalf("RevokeTokens revoked %d, want 1", n)
	}
	if r := c.post("/api/audits/stream/createQuery", q); r.status != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", r.status)
	}
	c.token = caToken(t, base)
	c.createQuery(q) // a fresh token works again
}

func TestAuditAuthErrors(t *testing.T) {
	_, base := startSim(t, Options{})
	c := newCAClient(t, base)
	c.apiKey = "wrong"
	if r := c.post("/api/audits/stream/createQuery", `{"query":{}}`); r.status != http.StatusForbidden {
		t.Fatalf("wrong api key: status %d, want 403", r.status)
	}
	c.apiKey = ""
	if r := c.post("/api/audits/stream/results", `{"cursorRef":"x"}`); r.status != http.StatusForbidden {
		t.Fatalf("missing api key: status %d, want 403", r.status)
	}
	c.apiKey, c.token = DefaultAPIKey, ""
	if r := c.post("/api/audits/stream/createQuery", `{"query":{}}`); r.status != http.StatusUnauthorized {
		t.Fatalf("missing token: status %d, want 401", r.status)
	}
	c.token = "made-up"
	if r := c.post("/api/audits/stream/results", `{"cursorRef":"x"}`); r.status != http.StatusUnauthorized {
		t.Fatalf("unknown token: status %d, want 401", r.status)
	}
}

func TestPagingToEmptyPage(t *testing.T) {
	s, base := startSim(t, Options{CyberArkBackfill: 1234, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	cur := c.createQuery(`{"query":{"pageSize":500,"filterModel":{"date":{"dateFrom":"2000-01-01 00:00:00"}},"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`)
	var sizes []int
	var got []caEvent
	for {
		p, r := c.results(cur)
		if r.status != http.StatusOK {
			t.Fatalf("results: %d %s", r.status, r.body)
		}
		sizes = append(sizes, len(p.Data))
		got = append(got, events(t, p)...)
		if len(p.Data) == 0 {
			break
		}
		cur = p.Paging.Cursor.CursorRef
	}
	if !slices.Equal(sizes, []int{500, 500, 234, 0}) {
		t.Fatalf("page sizes %v, want [500 500 234 0]", sizes)
	}
	want, _ := s.IDs(CyberArk)
	if !slices.Equal(uuids(got), want) {
		t.Fatal("paged events differ from the ground truth (or its order)")
	}
	for i := 1; i < len(got); i++ {
		if got[i].Timestamp < got[i-1].Timestamp {
			t.Fatalf("event %d out of order", i)
		}
	}
}

func TestDateFromIsSecondGranular(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now})
	sec := clock.Now().Add(-time.Hour) // 11:00:00 UTC
	add := func(at time.Time) string {
		ids, err := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 1, At: at})
		if err != nil {
			t.Fatal(err)
		}
		return ids[0]
	}
	before := add(sec.Add(-time.Millisecond))
	first := add(sec)
	mid := add(sec.Add(400 * time.Millisecond))
	last := add(sec.Add(999 * time.Millisecond))
	next := add(sec.Add(time.Second))
	after := add(sec.Add(2 * time.Second))

	c := newCAClient(t, base)
	cases := []struct {
		name, from, to string
		want           []string
	}{
		{"fraction in dateFrom is ignored", "2026-03-10T11:00:00.700Z", "", []string{first, mid, last, next, after}},
		{"space format", "2026-03-10 11:00:00", "", []string{first, mid, last, next, after}},
		{"offset +00:00", "2026-03-10T11:00:00.123456+00:00", "", []string{first, mid, last, next, after}},
		{"other offset converted to UTC", "2026-03-10T13:00:01+02:00", "", []string{next, after}},
		{"dateTo includes its whole second", "2026-03-10 11:00:00", "2026-03-10 11:00:00", []string{first, mid, last}},
		{"dateTo with fraction", "2026-03-10 10:59:59", "2026-03-10T11:00:01.001Z", []string{before, first, mid, last, next}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			date := map[string]string{"dateFrom": tc.from}
			if tc.to != "" {
				date["dateTo"] = tc.to
			}
			body, _ := json.Marshal(map[string]any{"query": map[string]any{
				"pageSize": 100, "filterModel": map[string]any{"date": date},
				"sortModel": []any{map[string]string{"field_name": "timestamp", "direction": "asc"}},
			}})
			got, _ := c.drain(c.createQuery(string(body)))
			if !slices.Equal(uuids(got), tc.want) {
				t.Fatalf("got %v, want %v", uuids(got), tc.want)
			}
		})
	}
}

func TestCreateQueryValidation(t *testing.T) {
	_, base := startSim(t, Options{})
	c := newCAClient(t, base)
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"pageSize 500", `{"query":{"pageSize":500}}`, 200},
		{"pageSize 501", `{"query":{"pageSize":501}}`, 400},
		{"pageSize 0", `{"query":{"pageSize":0}}`, 400},
		{"bad date", `{"query":{"pageSize":10,"filterModel":{"date":{"dateFrom":"yesterday"}}}}`, 400},
		{"bad op", `{"query":{"filterModel":{"applicationCode":[{"op":"like","params":["IDP"]}]}}}`, 400},
		{"not JSON", `pageSize=10`, 400},
		{"flat legacy body", `{"filterModel":{"dateFrom":"2999-01-01 00:00:00"},"pageSize":1000}`, 200},
		{"unknown filter key ignored", `{"query":{"pageSize":10,"filterModel":{"colour":[{"op":"include","params":["red"]}]}}}`, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.post("/api/audits/stream/createQuery", tc.body); r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
		})
	}
}

func TestFlatBodyFilterIsIgnored(t *testing.T) {
	s, base := startSim(t, Options{CyberArkBackfill: 30, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	// The flat body asks for nothing (a window in the future) but gets everything.
	got, _ := c.drain(c.createQuery(`{"filterModel":{"dateFrom":"2999-01-01 00:00:00","dateTo":"2999-01-02 00:00:00"},"sortModel":[{"field_name":"timestamp","direction":"desc"}]}`))
	want, _ := s.IDs(CyberArk)
	if !slices.Equal(uuids(got), want) {
		t.Fatalf("flat body returned %d events, want all %d in ascending order", len(got), len(want))
	}
	// The same filter in the nested shape is applied.
	got, _ = c.drain(c.createQuery(`{"query":{"pageSize":100,"filterModel":{"date":{"dateFrom":"2999-01-01 00:00:00"}}}}`))
	if len(got) != 0 {
		t.Fatalf("nested body with a future dateFrom returned %d events", len(got))
	}
}

func TestCursorRepostReturnsSamePage(t *testing.T) {
	_, base := startSim(t, Options{CyberArkBackfill: 50, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	cur := c.createQuery(`{"query":{"pageSize":20,"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`)
	p1, _ := c.results(cur)
	next := p1.Paging.Cursor.CursorRef
	a, ra := c.results(next)
	b, rb := c.results(next)
	if string(ra.body) != string(rb.body) || len(a.Data) != 20 {
		t.Fatalf("re-posting a cursor gave a different page (%d vs %d events)", len(a.Data), len(b.Data))
	}
	if string(p1.Data[0]) == string(a.Data[0]) {
		t.Fatal("the next cursor returned the first page again")
	}
}

func TestTailCursorSeesLaterRecords(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now, CyberArkBackfill: 10, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	now := clock.Now()
	from := caDate(now.Add(-2 * time.Hour))
	open := c.createQuery(`{"query":{"pageSize":100,"filterModel":{"date":{"dateFrom":"` + from + `"}},"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`)
	bounded := c.createQuery(`{"query":{"pageSize":100,"filterModel":{"date":{"dateFrom":"` + from + `","dateTo":"` + caDate(now) + `"}}}}`)
	got, openEnd := c.drain(open)
	if len(got) != 10 {
		t.Fatalf("first drain: %d events, want 10", len(got))
	}
	gotB, boundedEnd := c.drain(bounded)
	if len(gotB) != 10 {
		t.Fatalf("bounded drain: %d events, want 10", len(gotB))
	}
	// The empty page's cursor is the one that was sent: tail clients persist exactly that.
	p, _ := c.results(openEnd)
	if len(p.Data) != 0 || p.Paging.Cursor.CursorRef != openEnd {
		t.Fatal("an exhausted cursor should give an empty page carrying the same cursor")
	}

	clock.Add(5 * time.Second)
	added, err := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	more, _ := c.drain(openEnd)
	if !slices.Equal(uuids(more), added) {
		t.Fatalf("open cursor re-posted: got %v, want %v", uuids(more), added)
	}
	if more, _ := c.drain(boundedEnd); len(more) != 0 {
		t.Fatalf("bounded cursor re-posted returned %d new events; dateTo is baked in", len(more))
	}
}

func TestBadCursor(t *testing.T) {
	_, base := startSim(t, Options{CyberArkBackfill: 5})
	_, otherBase := startSim(t, Options{})
	c := newCAClient(t, base)
	good := c.createQuery(`{"query":{"pageSize":10}}`)
	raw, _ := base64.StdEncoding.DecodeString(good)
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"pageSize":10`, `"pageSize":11`, 1)))
	foreign := newCAClient(t, otherBase).createQuery(`{"query":{"pageSize":10}}`)
	for name, cur := range map[string]string{
		"garbled":         "!!not-base64!!",
		"base64 not JSON": base64.StdEncoding.EncodeToString([]byte("hello")),
		"tampered":        tampered,
		"truncated":       good[:len(good)/2],
		"other instance":  foreign,
	} {
		t.Run(name, func(t *testing.T) {
			if _, r := c.results(cur); r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
		})
	}
	if _, r := c.results(good); r.status != http.StatusOK {
		t.Fatalf("the untouched cursor: status %d", r.status)
	}
}

func TestCursorTTL(t *testing.T) {
	clock := newFakeClock()
	_, base := startSim(t, Options{Now: clock.Now, CursorTTL: 10 * time.Minute, TokenTTL: time.Hour})
	c := newCAClient(t, base)
	cur := c.createQuery(`{"query":{"pageSize":10}}`)
	clock.Add(11 * time.Minute)
	if _, r := c.results(cur); r.status != http.StatusBadRequest {
		t.Fatalf("old cursor: status %d, want 400", r.status)
	}
}

func TestFiltersSortAndSelectedFields(t *testing.T) {
	_, base := startSim(t, Options{CyberArkBackfill: 400, BackfillSpan: time.Hour})
	c := newCAClient(t, base)
	all, _ := c.drain(c.createQuery(`{"query":{"pageSize":500}}`))
	var idp []string
	for _, e := range all {
		if e.ApplicationCode == "IDP" {
			idp = append(idp, e.UUID)
		}
	}
	if len(idp) == 0 || len(idp) == len(all) {
		t.Fatalf("test data should mix applications (%d IDP of %d)", len(idp), len(all))
	}

	got, _ := c.drain(c.createQuery(`{"query":{"pageSize":37,"filterModel":{"applicationCode":[{"op":"include","params":["IDP"]}]},"sortModel":[{"field_name":"timestamp","direction":"desc"}]}}`))
	slices.Reverse(idp)
	if !slices.Equal(uuids(got), idp) {
		t.Fatalf("IDP filter, descending: got %d events, want %d in reverse order", len(got), len(idp))
	}

	cur := c.createQuery(`{"query":{"pageSize":5,"selectedFields":["audit_code","application_code","unknown_field"]}}`)
	p, _ := c.results(cur)
	for _, raw := range p.Data {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, []string{"applicationCode", "auditCode", "timestamp", "uuid"}) {
			t.Fatalf("selectedFields returned keys %v", keys)
		}
	}
}

func TestTiesKeepInsertionOrder(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now})
	at := clock.Now().Add(-time.Minute)
	a, _ := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 7, At: at})
	b, _ := s.AddRecords(RecordsRequest{Vendor: CyberArk, Count: 5, At: at})
	c := newCAClient(t, base)
	got, _ := c.drain(c.createQuery(`{"query":{"pageSize":3,"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`))
	if want := slices.Concat(a, b); !slices.Equal(uuids(got), want) {
		t.Fatalf("records sharing one millisecond came back in another order")
	}
}

func TestParseCADate(t *testing.T) {
	want := time.Date(2025, 9, 15, 17, 10, 0, 0, time.UTC)
	for _, s := range []string{
		"2025-09-15 17:10:00", "2025-09-15T17:10:00", "2025-09-15T17:10:00Z", "2025-09-15T17:10:00.999Z",
		"2025-09-15T17:10:00.719000+00:00", "2025-09-15 17:10:00:123", "2025-09-15T17:10:00.123456",
		"2025-09-15T19:10:00+02:00", "2025-09-15T12:10:00-0500",
	} {
		got, err := parseCADate(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseCADate(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2025-09-15", "15/09/2025 17:10:00", "2025-09-15 17:10:00 UTC", "2025-09-15T17:10:00+5", "2025-09-15 25:10:00"} {
		if _, err := parseCADate(s); err == nil {
			t.Errorf("parseCADate(%q) accepted a bad date", s)
		}
	}
}
