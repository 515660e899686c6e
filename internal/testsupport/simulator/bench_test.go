package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const million = 1_000_000

// BenchmarkLoadMillion measures building a simulator with a one-million-record backfill: record
// generation, JSON rendering and storing. The first iteration also pays for the process getting
// fresh memory from the OS, which on some VMs costs more than the work itself.
func BenchmarkLoadMillion(b *testing.B) {
	for _, v := range []Vendor{CyberArk, XSOAR} {
		b.Run(string(v), func(b *testing.B) {
			o := Options{Seed: 1, BackfillSpan: 7 * 24 * time.Hour}
			if v == CyberArk {
				o.CyberArkBackfill = million
			} else {
				o.XSOARBackfill = million
			}
			for range b.N {
				s, err := New(o)
				if err != nil {
					b.Fatal(err)
				}
				if n := s.feed(v).store.len(); n != million {
					b.Fatalf("%d records", n)
				}
			}
			b.ReportMetric(float64(million)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// discardWriter is a ResponseWriter that only counts, so the benchmark measures the simulator and
// not a recorder's buffer growth.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(s int)   { d.status = s }
func (d *discardWriter) Write(p []byte) (int, error) {
	d.n += len(p)
	return len(p), nil
}

var (
	benchOnce sync.Once
	benchSim  *Simulator
)

// benchSimulator holds one million records per vendor over 7 days, shared by the page benchmarks.
func benchSimulator(b *testing.B) *Simulator {
	b.Helper()
	benchOnce.Do(func() {
		s, err := New(Options{
			Seed: 1, CyberArkBackfill: million, XSOARBackfill: million, BackfillSpan: 7 * 24 * time.Hour,
			XSOARKeyLevel: KeyStandard, XSOARRateLimit: -1,
		})
		if err != nil {
			b.Fatal(err)
		}
		benchSim = s
	})
	return benchSim
}

// serve runs one request through the handler in-process.
func serve(h http.Handler, w *discardWriter, req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	w.status, w.n = 0, 0
	h.ServeHTTP(w, req)
}

// BenchmarkServePage measures one page over a store of one million records: a CyberArk results
// page of 500 events and XSOAR pages of 100 records, found by binary search and copied from
// pre-rendered JSON. The http sub-benchmark adds a real loopback round trip.
func BenchmarkServePage(b *testing.B) {
	s := benchSimulator(b)
	h := s.Handler()
	mid := s.now().Add(-84 * time.Hour)

	// CyberArk: a token, then a cursor starting half-way through the store.
	w := &discardWriter{h: http.Header{}}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {CyberArkScope},
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}}.Encode()
	treq := httptest.NewRequest(http.MethodPost, "/OAuth2/Token/"+DefaultWebAppID, nil)
	treq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	treq.Body = io.NopCloser(strings.NewReader(form))
	h.ServeHTTP(rec, treq)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil {
		b.Fatal(err)
	}
	caHeaders := func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		r.Header.Set("x-api-key", DefaultAPIKey)
	}
	qreq := httptest.NewRequest(http.MethodPost, "/api/audits/stream/createQuery", nil)
	caHeaders(qreq)
	rec = httptest.NewRecorder()
	qreq.Body = io.NopCloser(strings.NewReader(`{"query":{"pageSize":500,"filterModel":{"date":{"dateFrom":"` + caDate(mid) +
		`"}},"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`))
	h.ServeHTTP(rec, qreq)
	var cq struct {
		CursorRef string `json:"cursorRef"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &cq); err != nil {
		b.Fatal(err)
	}
	resultsBody, _ := json.Marshal(map[string]string{"cursorRef": cq.CursorRef})

	b.Run("cyberark-results-500", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodPost, "/api/audits/stream/results", nil)
		caHeaders(req)
		serve(h, w, req, resultsBody)
		if w.status != http.StatusOK || w.n < 100_000 {
			b.Fatalf("status %d, %d bytes", w.status, w.n)
		}
		b.SetBytes(int64(w.n))
		b.ResetTimer()
		for range b.N {
			serve(h, w, req, resultsBody)
		}
	})

	xsReq := func() *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/public_api/v1/audits/management_logs", nil)
		req.Header.Set("Authorization", DefaultXSOARKey)
		req.Header.Set("x-xdr-auth-id", DefaultXSOARKeyID)
		return req
	}
	gte := `{"field":"timestamp","operator":"gte","value":` + strconv.FormatInt(mid.UnixMilli(), 10) + `}`
	for _, bc := range []struct {
		name string
		body string
	}{
		{"xsoar-page-100-offset-5000", xsBody(5000, 5100, "asc", gte)},
		// A field filter makes total_count a scan of the time window (here one hour, ~6000 rows).
		{"xsoar-page-100-type-filter-1h", xsBody(0, 100, "asc", gte,
			`{"field":"timestamp","operator":"lte","value":`+strconv.FormatInt(mid.Add(time.Hour).UnixMilli(), 10)+`}`,
			`{"field":"type","operator":"in","value":["AUTH"]}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := xsReq()
			body := []byte(bc.body)
			serve(h, w, req, body)
			if w.status != http.StatusOK || w.n < 10_000 {
				b.Fatalf("status %d, %d bytes", w.status, w.n)
			}
			b.SetBytes(int64(w.n))
			b.ResetTimer()
			for range b.N {
				serve(h, w, req, body)
			}
		})
	}

	b.Run("cyberark-results-500-loopback-http", func(b *testing.B) {
		base, err := s.Start()
		if err != nil && base == "" {
			b.Fatal(err)
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		call := func() int {
			req, _ := http.NewRequest(http.MethodPost, base+"/api/audits/stream/results", bytes.NewReader(resultsBody))
			caHeaders(req)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return int(n)
		}
		b.SetBytes(int64(call()))
		b.ResetTimer()
		for range b.N {
			call()
		}
	})
}
