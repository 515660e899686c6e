//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

// The reference drainer is what a backfill's throughput is measured against: the vendor requests
// the receiver makes for the same backlog (CyberArk: a token, createQuery, then results pages
// until an empty one; Cortex: offset pages of a frozen time window, a new window every 9,000
// records, under the same requests_per_second), made one after the other by a plain loop of
// this process that only reads each answer far enough to build the next request. No conversion,
// no pipeline, no checkpoint: the fastest a client can drain this simulator on this machine at
// this moment. Run next to the collector in the same benchmark run, it takes the same share of
// the machine's noise, so the ratio of the two tells the code from the machine.

// drainResult is one reference drain.
type drainResult struct {
	records int       // distinct records read; the records of a window's first millisecond read again are not counted twice
	calls   int       // data requests (createQuery, results, management_logs, agents_reports)
	last    time.Time // when the last page holding records had been read whole
}

// drainer holds what every request of one reference drain needs.
type drainer struct {
	c    backfillCase
	url  string
	from time.Time // the receivers' start_time in backfillConfig: 25 hours ago
	hc   *http.Client
	buf  bytes.Buffer
	res  drainResult
}

// drain reads the case's whole backlog from the simulator at url.
func drain(ctx context.Context, c backfillCase, url string) (drainResult, error) {
	d := &drainer{c: c, url: url, from: time.Now().Add(-25 * time.Hour), hc: &http.Client{Timeout: time.Minute}}
	defer d.hc.CloseIdleConnections()
	var err error
	if c.vendor == simulator.CyberArk {
		err = d.cyberArk(ctx)
	} else {
		err = d.cortex(ctx)
	}
	return d.res, err
}

// post sends one request and reads its answer whole into d.buf; anything but 200 is an error,
// as a reference that retried would not be one.
func (d *drainer) post(ctx context.Context, path, ctype string, body []byte, header http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	resp, err := d.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	d.buf.Reset()
	if _, err := d.buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %.200s", path, resp.Status, d.buf.Bytes())
	}
	return nil
}

// cyberArk drains the Audit API: one token, one createQuery from d.from ascending, then the
// results of each page's cursor until a page is empty. The events of a page are counted by
// their uuid member, and the cursor is read from the paging member that ends the page.
func (d *drainer) cyberArk(ctx context.Context) error {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"scope":         {"isp.audit.events:read"},
		"client_id":     {simulator.DefaultClientID},
		"client_secret": {simulator.DefaultClientSecret},
	}.Encode()
	if err := d.post(ctx, "/OAuth2/Token/"+simulator.DefaultWebAppID, "application/x-www-form-urlencoded", []byte(form), nil); err != nil {
		return err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(d.buf.Bytes(), &tok); err != nil {
		return fmt.Errorf("token answer: %w", err)
	}
	if tok.AccessToken == "" {
		return errors.New("a token answer without access_token")
	}
	h := http.Header{"Authorization": {"Bearer " + tok.AccessToken}, "X-Api-Key": {simulator.DefaultAPIKey}}
	create := fmt.Sprintf(`{"query":{"pageSize":%d,"filterModel":{"date":{"dateFrom":%q}},"sortModel":[{"field_name":"timestamp","direction":"asc"}]}}`,
		d.c.pageSize(), d.from.UTC().Format(time.DateTime))
	if err := d.post(ctx, "/api/audits/stream/createQuery", "application/json", []byte(create), h); err != nil {
		return err
	}
	d.res.calls++
	var cr struct {
		CursorRef string `json:"cursorRef"`
	}
	if err := json.Unmarshal(d.buf.Bytes(), &cr); err != nil {
		return fmt.Errorf("createQuery answer: %w", err)
	}
	if cr.CursorRef == "" {
		return errors.New("a createQuery answer without cursorRef")
	}
	uuid, paging := []byte(`"uuid":`), []byte(`"paging":`)
	for cursor := cr.CursorRef; ; {
		body, _ := json.Marshal(map[string]string{"cursorRef": cursor})
		if err := d.post(ctx, "/api/audits/stream/results", "application/json", body, h); err != nil {
			return err
		}
		d.res.calls++
		page := d.buf.Bytes()
		n := bytes.Count(page, uuid)
		if n == 0 {
			return nil
		}
		d.res.records += n
		d.res.last = time.Now()
		i := bytes.LastIndex(page, paging)
		if i < 0 {
			return errors.New("a results page without paging")
		}
		var p struct {
			Cursor struct {
				CursorRef string `json:"cursorRef"`
			} `json:"cursor"`
		}
		if err := json.NewDecoder(bytes.NewReader(page[i+len(paging):])).Decode(&p); err != nil {
			return fmt.Errorf("paging: %w", err)
		}
		if p.Cursor.CursorRef == "" || p.Cursor.CursorRef == cursor {
			return nil
		}
		cursor = p.Cursor.CursorRef
	}
}

// rekeyOffset is the offset at which xsoaraudit starts a new window at the newest time it has
// read (see its query.go), to stay clear of the API's result window.
const rekeyOffset = 9000

// cortex drains a Cortex audit trail: the window from d.from to 5 s ago (settle_delay), sorted
// ascending, 100 records a request with requests_per_second as a limiter of burst 1, as the
// receiver's. A page's size is its result_count; only the page that ends a window is decoded,
// for its newest time and the records of that millisecond, which the next window reads again.
func (d *drainer) cortex(ctx context.Context) error {
	path := "/public_api/v1/audits/management_logs"
	if d.c.vendor == simulator.XSOARAgents {
		path = "/public_api/v1/audits/agents_reports"
	}
	var lim *rate.Limiter
	if d.c.rps > 0 {
		lim = rate.NewLimiter(rate.Limit(d.c.rps), 1)
	}
	gte, lte := d.from.UnixMilli(), time.Now().Add(-5*time.Second).UnixMilli()
	size := d.c.pageSize()
	reread := 0 // records of the window's first millisecond already counted
	for offset := 0; ; {
		if lim != nil {
			if err := lim.Wait(ctx); err != nil {
				return err
			}
		}
		body := fmt.Sprintf(`{"request_data":{"filters":[{"field":"timestamp","operator":"gte","value":%d},{"field":"timestamp","operator":"lte","value":%d}],"search_from":%d,"search_to":%d,"sort":{"field":"timestamp","keyword":"asc"}}}`,
			gte, lte, offset, offset+size)
		if err := d.post(ctx, path, "application/json", []byte(body), cortexAuth()); err != nil {
			return err
		}
		d.res.calls++
		page := d.buf.Bytes()
		n, total, err := cortexCounts(page)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		skip := min(reread, n)
		d.res.records += n - skip
		reread -= skip
		d.res.last = time.Now()
		offset += n
		switch {
		case n < size, offset >= total:
			return nil
		case offset >= rekeyOffset:
			newest, atNewest, err := cortexNewest(page)
			if err != nil {
				return err
			}
			if newest > gte {
				gte, offset, reread = newest, 0, atNewest
			}
		}
	}
}

// cortexCounts reads result_count and total_count from the head of a reply, where the
// simulator writes them before the data.
func cortexCounts(page []byte) (n, total int, err error) {
	head := page[:min(len(page), 128)]
	num := func(key string) (int, error) {
		_, rest, ok := bytes.Cut(head, []byte(`"`+key+`":`))
		if !ok {
			return 0, fmt.Errorf("no %s in %.128s", key, head)
		}
		end := bytes.IndexAny(rest, ",}")
		if end < 0 {
			return 0, fmt.Errorf("%s cut in %.128s", key, head)
		}
		return strconv.Atoi(string(rest[:end]))
	}
	if n, err = num("result_count"); err != nil {
		return 0, 0, err
	}
	if total, err = num("total_count"); err != nil {
		return 0, 0, err
	}
	return n, total, nil
}

// cortexNewest decodes a page for its newest record time in epoch ms (AUDIT_INSERT_TIME of the
// management log, TIMESTAMP of an agent report) and the number of its records at that time.
func cortexNewest(page []byte) (newest int64, atNewest int, err error) {
	var r struct {
		Reply struct {
			Data []struct {
				Insert    *int64   `json:"AUDIT_INSERT_TIME"`
				Timestamp *float64 `json:"TIMESTAMP"`
			} `json:"data"`
		} `json:"reply"`
	}
	if err := json.Unmarshal(page, &r); err != nil {
		return 0, 0, err
	}
	for _, rec := range r.Reply.Data {
		var ms int64
		switch {
		case rec.Insert != nil:
			ms = *rec.Insert
		case rec.Timestamp != nil:
			ms = int64(math.Floor(*rec.Timestamp))
		default:
			return 0, 0, errors.New("a record without a time")
		}
		switch {
		case ms > newest:
			newest, atNewest = ms, 1
		case ms == newest:
			atNewest++
		}
	}
	return newest, atNewest, nil
}

// cortexAuth signs a request with the simulator's demo advanced key, as the simulator documents
// it: Authorization is the hex SHA-256 of key, nonce and timestamp (epoch ms), the nonce 64
// letters and digits.
func cortexAuth() http.Header {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var raw [64]byte
	_, _ = rand.Read(raw[:])
	var nonce strings.Builder
	for _, b := range raw {
		nonce.WriteByte(letters[int(b)%len(letters)]) // a slight bias is no matter for a benchmark
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sum := sha256.Sum256([]byte(simulator.DefaultXSOARKey + nonce.String() + ts))
	return http.Header{
		"X-Xdr-Auth-Id":   {simulator.DefaultXSOARKeyID},
		"X-Xdr-Nonce":     {nonce.String()},
		"X-Xdr-Timestamp": {ts},
		"Authorization":   {hex.EncodeToString(sum[:])},
	}
}

// TestReferenceDrainerReadsEveryRecord: the reference reads each backlog whole, once, with
// the requests the receiver would make, so that a backfill's ratio to it compares like with
// like. The Cortex backlogs are deep enough for two new windows, whose first millisecond is
// read again and must not be counted twice.
func TestReferenceDrainerReadsEveryRecord(t *testing.T) {
	opts := simulator.Options{Seed: 7, BackfillSpan: 24 * time.Hour, CyberArkBackfill: 1234,
		XSOARBackfill: 20_000, XSOARAgentsBackfill: 20_000, XSOARRateLimit: -1}
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	defer sim.Close()
	time.Sleep(6 * time.Second) // the drainer, as the receiver, leaves the last 5 s to settle
	url, err := sim.Start()
	require.NoError(t, err)
	for _, c := range []backfillCase{
		{vendor: simulator.CyberArk, records: 1234},
		{vendor: simulator.XSOAR, records: 20_000},
		{vendor: simulator.XSOARAgents, records: 20_000},
	} {
		d, err := drain(t.Context(), c, url)
		require.NoError(t, err, c.receiver())
		assert.Equal(t, c.records, d.records, "%s: records", c.receiver())
		// One request per page, CyberArk's createQuery, and the empty page or new windows
		// that end a drain; never more than one in 50 beyond the pages.
		pages := (c.records + c.pageSize() - 1) / c.pageSize()
		assert.GreaterOrEqual(t, d.calls, pages, c.receiver())
		assert.LessOrEqual(t, d.calls, pages+2+pages/50, c.receiver())
		assert.False(t, d.last.IsZero(), c.receiver())
	}
}
