package simulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

const xsUnauthorizedBody = `{"reply":{"err_code":401,"err_extra":null,"err_msg":"Public API request unauthorized"}}`

// noLimit keeps XSOAR tests that are not about the rate limit away from it.
const noLimit = -1

func wantUnauthorized(t *testing.T, r httpResult) {
	t.Helper()
	if r.status != http.StatusUnauthorized || string(r.body) != xsUnauthorizedBody {
		t.Fatalf("got %d %s, want 401 %s", r.status, r.body, xsUnauthorizedBody)
	}
}

func TestXSOARStandardKey(t *testing.T) {
	_, base := startSim(t, Options{XSOARKeyLevel: KeyStandard, XSOARRateLimit: noLimit, XSOARBackfill: 3})
	c := newXSClient(t, base, KeyStandard)
	body := xsBody(0, 100, "")
	if _, recs := c.page(body); len(recs) != 3 {
		t.Fatalf("got %d records, want 3", len(recs))
	}

	h := c.headers(time.Now())
	h.Set("Authorization", "wrong")
	wantUnauthorized(t, c.send(body, h))

	h = c.headers(time.Now())
	h.Set("x-xdr-auth-id", "8")
	wantUnauthorized(t, c.send(body, h))

	// An advanced-style request against a standard key is a level mismatch.
	adv := newXSClient(t, base, KeyAdvanced)
	wantUnauthorized(t, adv.post(body))
}

func TestXSOARAdvancedKey(t *testing.T) {
	clock := newFakeClock()
	_, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit, XSOARBackfill: 3})
	c := newXSClient(t, base, KeyAdvanced)
	body := xsBody(0, 100, "")
	now := clock.Now()

	if r := c.send(body, c.headers(now)); r.status != http.StatusOK {
		t.Fatalf("signed request: %d %s", r.status, r.body)
	}
	// Seconds x 1000, as the vendor's own example sends, passes as well.
	if r := c.send(body, c.headers(now.Truncate(time.Second))); r.status != http.StatusOK {
		t.Fatalf("seconds*1000 timestamp: %d %s", r.status, r.body)
	}

	t.Run("wrong signature", func(t *testing.T) {
		h := c.headers(now)
		h.Set("Authorization", sign("other-key", h.Get("x-xdr-nonce"), h.Get("x-xdr-timestamp")))
		wantUnauthorized(t, c.send(body, h))
	})
	t.Run("upper-case hex", func(t *testing.T) {
		h := c.headers(now)
		h.Set("Authorization", "A"+h.Get("Authorization")[1:])
		wantUnauthorized(t, c.send(body, h))
	})
	t.Run("reused nonce", func(t *testing.T) {
		h := c.headers(now)
		if r := c.send(body, h); r.status != http.StatusOK {
			t.Fatalf("first use: %d", r.status)
		}
		wantUnauthorized(t, c.send(body, h))
	})
	t.Run("stale timestamp", func(t *testing.T) {
		wantUnauthorized(t, c.send(body, c.headers(now.Add(-6*time.Minute))))
	})
	t.Run("timestamp from the future", func(t *testing.T) {
		wantUnauthorized(t, c.send(body, c.headers(now.Add(6*time.Minute))))
	})
	t.Run("short nonce", func(t *testing.T) {
		h := c.headers(now)
		nonce := h.Get("x-xdr-nonce")[:32]
		h.Set("x-xdr-nonce", nonce)
		h.Set("Authorization", sign(DefaultXSOARKey, nonce, h.Get("x-xdr-timestamp")))
		wantUnauthorized(t, c.send(body, h))
	})
	t.Run("standard-style request to an advanced key", func(t *testing.T) {
		std := newXSClient(t, base, KeyStandard)
		wantUnauthorized(t, std.send(body, std.headers(now)))
	})
	t.Run("wrong key id", func(t *testing.T) {
		h := c.headers(now)
		h.Set("x-xdr-auth-id", "99")
		wantUnauthorized(t, c.send(body, h))
	})
}

func TestXSOARLicenseAndRBAC(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit})
	c := newXSClient(t, base, KeyAdvanced)
	for _, tc := range []struct {
		kind   FaultKind
		status int
		msg    string
	}{
		{FaultLicense, 402, "User does not have the required license type"},
		{FaultForbidden, 403, "API key does not have the required RBAC permissions"},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			id, err := s.InjectFault(Fault{Kind: tc.kind, Vendor: XSOAR})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // stays on until cleared
				r := c.post(xsBody(0, 10, ""))
				var rep xsReply
				r.json(t, &rep)
				if r.status != tc.status || rep.Reply.ErrCode != tc.status || rep.Reply.ErrMsg != tc.msg {
					t.Fatalf("got %d %s", r.status, r.body)
				}
			}
			// Authentication comes first: a bad key still gets 401.
			bad := newXSClient(t, base, KeyAdvanced)
			bad.key = "nope"
			wantUnauthorized(t, bad.post(xsBody(0, 10, "")))
			s.ClearFault(id)
			if r := c.post(xsBody(0, 10, "")); r.status != http.StatusOK {
				t.Fatalf("after clearing: %d", r.status)
			}
		})
	}
}

func TestXSOARWindowLimits(t *testing.T) {
	_, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 10})
	c := newXSClient(t, base, KeyAdvanced)
	for _, tc := range []struct {
		from, to, status int
	}{
		{0, 100, 200}, {100, 200, 200}, {5, 6, 200},
		{0, 101, 500}, {0, 1000, 500}, {10, 10, 500}, {10, 5, 500}, {-1, 50, 500},
	} {
		r := c.post(xsBody(tc.from, tc.to, ""))
		if r.status != tc.status {
			t.Fatalf("search_from %d search_to %d: status %d, want %d: %s", tc.from, tc.to, r.status, tc.status, r.body)
		}
		if tc.status == 500 {
			var rep xsReply
			r.json(t, &rep)
			if rep.Reply.ErrMsg != "0 < search_size <= 100" {
				t.Fatalf("err_msg %q", rep.Reply.ErrMsg)
			}
		}
	}
	if r := c.post(`{"request_data":{"filters":[{"field":"audit_id","operator":"gte","value":1}]}}`); r.status != http.StatusBadRequest {
		t.Fatalf("unsupported filter field: %d", r.status)
	}
	if r := c.post(`{"filters":[]}`); r.status != http.StatusBadRequest {
		t.Fatalf("missing request_data: %d", r.status)
	}
}

func TestXSOARRateLimit(t *testing.T) {
	_, base := startSim(t, Options{XSOARKeyLevel: KeyStandard, XSOARRateLimit: 10})
	c := newXSClient(t, base, KeyStandard)
	ok, limited := 0, 0
	start := time.Now()
	for range 30 {
		r := c.post(xsBody(0, 10, ""))
		switch r.status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			var rep xsReply
			r.json(t, &rep)
			if rep.Reply.ErrMsg != "Too many requests" || r.header.Get("Retry-After") != "" {
				t.Fatalf("429 reply %s with Retry-After %q", r.body, r.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("status %d", r.status)
		}
	}
	// The burst of 10, plus what refilled at 10/s while the loop ran (one extra for rounding).
	if most := 10 + int(time.Since(start).Seconds()*10) + 1; ok < 10 || ok > most || limited == 0 {
		t.Fatalf("%d passed (at most %d allowed) and %d were limited", ok, most, limited)
	}
	// The limit is tenant-wide: another caller (here a wrong path) is limited too.
	c2 := newXSClient(t, base, KeyStandard)
	c2.path = "/xsoar/public/v1/audits/management_logs"
	var otherLimited bool
	for range 5 { // a slow machine may have refilled a token or two since the loop
		if r := c2.post(xsBody(0, 10, "")); r.status == http.StatusTooManyRequests {
			otherLimited = true
			break
		}
	}
	if !otherLimited {
		t.Fatal("another caller was never limited right after the burst")
	}
	time.Sleep(300 * time.Millisecond) // refills about 3 tokens
	if r := c.post(xsBody(0, 10, "")); r.status != http.StatusOK {
		t.Fatalf("after a pause: %d", r.status)
	}
}

func TestXSOARSortAndOffsetPaging(t *testing.T) {
	clock := newFakeClock()
	s, base := startSim(t, Options{Now: clock.Now, XSOARRateLimit: noLimit})
	c := newXSClient(t, base, KeyAdvanced)
	c.now = clock.Now
	start := clock.Now().Add(-time.Hour)
	for i := range 300 {
		if _, err := s.AddRecords(RecordsRequest{Vendor: XSOAR, Count: 1, At: start.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := s.IDs(XSOAR)
	// A window holding 250 of them: records 25..274.
	lo, hi := start.Add(25*time.Second), start.Add(274*time.Second)
	win := all[25:275]
	filters := []string{tsFilter("gte", lo), tsFilter("lte", hi)}

	var got []string
	var sizes []int
	for from := 0; ; from += 100 {
		rep, recs := c.page(xsBody(from, from+100, "asc", filters...))
		if rep.Reply.TotalCount == nil || *rep.Reply.TotalCount != 250 {
			t.Fatalf("total_count %v, want 250", rep.Reply.TotalCount)
		}
		sizes = append(sizes, len(recs))
		got = append(got, xsIDs(recs)...)
		if len(recs) < 100 {
			break
		}
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) || !slices.Equal(got, win) {
		t.Fatalf("asc paging: sizes %v; same records in order: %v", sizes, slices.Equal(got, win))
	}

	rev := slices.Clone(win)
	slices.Reverse(rev)
	_, desc := c.page(xsBody(0, 100, "desc", filters...))
	if !slices.Equal(xsIDs(desc), rev[:100]) {
		t.Fatal("desc page is not the newest 100 records, newest first")
	}
	_, dflt := c.page(xsBody(0, 100, "", filters...))
	if !slices.Equal(xsIDs(dflt), rev[:100]) {
		t.Fatal("without sort the reply should be newest first")
	}
	_, upper := c.page(xsBody(0, 3, "ASC", filters...))
	if !slices.Equal(xsIDs(upper), win[:3]) {
		t.Fatal("keyword ASC (upper case) not honoured")
	}
}

func TestXSOARFieldFilters(t *testing.T) {
	s, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 500, BackfillSpan: time.Hour})
	c := newXSClient(t, base, KeyAdvanced)
	// Ground truth from the stored JSON.
	var want []string
	s.xs.store.read(func(recs []record) {
		for _, r := range recs {
			var x xsRecord
			if err := json.Unmarshal(r.raw, &x); err != nil {
				t.Fatal(err)
			}
			if (x.Entity == "AUTH" || x.Entity == "PUBLIC_API") && x.Result == "SUCCESS" {
				want = append(want, strconv.FormatInt(x.ID, 10))
			}
		}
	})
	if len(want) < 20 {
		t.Fatalf("only %d matching records; test data too thin", len(want))
	}
	filters := []string{
		`{"field":"type","operator":"in","value":["AUTH","PUBLIC_API"]}`,
		`{"field":"result","operator":"in","value":["SUCCESS"]}`,
	}
	var got []string
	for from := 0; ; from += 100 {
		rep, recs := c.page(xsBody(from, from+100, "asc", filters...))
		if *rep.Reply.TotalCount != len(want) {
			t.Fatalf("total_count %d, want %d", *rep.Reply.TotalCount, len(want))
		}
		got = append(got, xsIDs(recs)...)
		if len(recs) < 100 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("filtered paging returned %d records, want %d", len(got), len(want))
	}
	rep, recs := c.page(xsBody(0, 100, "", `{"field":"type","operator":"in","value":["NO_SUCH_TYPE"]}`))
	if len(recs) != 0 || *rep.Reply.TotalCount != 0 {
		t.Fatal("an unknown type value should match nothing")
	}
}

func TestXSOARResultWindowCap(t *testing.T) {
	_, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARResultWindow: 150, XSOARBackfill: 250})
	c := newXSClient(t, base, KeyAdvanced)
	for _, tc := range []struct{ from, n int }{{0, 100}, {100, 50}, {200, 0}} {
		rep, recs := c.page(xsBody(tc.from, tc.from+100, "asc"))
		if len(recs) != tc.n || *rep.Reply.TotalCount != 250 {
			t.Fatalf("offset %d: %d records (total_count %d), want %d (250)", tc.from, len(recs), *rep.Reply.TotalCount, tc.n)
		}
	}
}

func TestXSOARPaths(t *testing.T) {
	_, base := startSim(t, Options{XSOARRateLimit: noLimit, XSOARBackfill: 2})
	c := newXSClient(t, base, KeyAdvanced)
	c.path = "/public_api/v1/audits/management_logs/"
	if _, recs := c.page(xsBody(0, 100, "")); len(recs) != 2 {
		t.Fatalf("trailing slash: %d records", len(recs))
	}
	c.path = "/xsoar/public/v1/audits/management_logs"
	if r := c.post(xsBody(0, 100, "")); r.status != http.StatusInternalServerError {
		t.Fatalf("wrong prefix: %d, want 500", r.status)
	}
	r := do(t, newReq(t, http.MethodGet, base+"/public_api/v1/audits/management_logs", ""))
	if r.status != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", r.status)
	}
}
