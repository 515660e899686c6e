package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

const (
	// op names the call in the HTTP client's errors, logs and metrics.
	op = "management_logs"
	// rekeyOffset is how deep into one time window a query walks by offset before it starts a
	// new window at the newest time it has returned, to stay clear of a result-window cap that
	// one public collector reports (about 9,999 rows). Each new window reads the records of its
	// first millisecond again (the engine drops them), so windows are as long as that margin
	// allows: a backfill then costs one extra record per 9,000.
	rekeyOffset = 9000
)

// source opens queries on one audit trail (the management log or the agents' reports) of one
// tenant.
type source struct {
	api      *httpapi.Client
	logType  string // log_type; "" reads the management log
	product  string // the tenant's product as stated, or ""
	url      string // origin + path
	path     string
	level    string
	secrets  *httpapi.Secrets // the HTTP client's, for the texts the API returns inside a 200 reply
	auth     signer
	pageSize int
	settle   time.Duration
	tenant   string
	version  string
	logger   *zap.Logger
	now      func() time.Time
}

func newSource(c *Config, origin *url.URL, api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
	u := *origin
	u.Path, u.RawPath = c.Path, ""
	k := kindOf(c.LogType)
	product := strings.ToLower(c.Product)
	// The host may differ from endpoint (api- is added for a Cortex tenant's console host).
	set.Logger.Info("Reading Cortex "+k.what, zap.String("url", u.String()), zap.String("log_type", k.name))
	checkProduct(set.Logger, k, product, origin.Hostname())
	return &source{
		api:      api,
		logType:  k.name,
		product:  product,
		url:      u.String(),
		path:     c.Path,
		level:    strings.ToLower(c.SecurityLevel),
		secrets:  api.Secrets(),
		auth:     newSigner(c),
		pageSize: c.PageSize,
		settle:   c.SettleDelay,
		tenant:   origin.Hostname(),
		version:  set.BuildInfo.Version,
		logger:   set.Logger,
		// The upper bound is the vendor's "now": record times are its clock, not ours.
		now: api.VendorNow,
	}, nil
}

// Open starts a query for the records inserted at or after from. Its upper bound is frozen now,
// settle_delay in the past: the offsets of an ascending walk then stay put while new records
// arrive, and records that appear a little after their insert time are still ahead of the
// checkpoint when a later query reads them.
func (s *source) Open(from time.Time) poller.Query {
	q := &query{
		s:    s,
		gte:  from.UnixMilli(),
		lte:  s.now().Add(-s.settle).UnixMilli(),
		prev: from,
		dec:  newKindDecoder(kindOf(s.logType), s.tenant, s.product, s.version, s.logger),
	}
	if q.lte < q.gte {
		if _, known := s.api.VendorClock(); known {
			q.done = true // nothing can have settled since the checkpoint
		} else {
			// The tenant's clock is not known yet (no response so far) and may run ahead of
			// ours: ask for the checkpoint's millisecond alone, which can only return records
			// already delivered, so that the answer's Date tells it.
			q.lte = q.gte
		}
	}
	return q
}

// query walks one frozen time window by offset, oldest records first.
type query struct {
	s        *source
	gte, lte int64 // the timestamp filter, epoch ms, both inclusive
	offset   int
	newest   int64     // newest insert time returned so far, epoch ms
	prev     time.Time // time of the last record returned, for records without a usable time
	done     bool
	dec      *pageDecoder
}

// Next fetches the next page. A short page, an empty page, or an offset past total_count ends
// the query; a short page is still returned, and no further request is made.
func (q *query) Next(ctx context.Context) (poller.Page, bool, error) {
	if q.done {
		return poller.Page{}, true, nil
	}
	body := q.requestBody()
	resp, err := q.s.api.Do(ctx, kindOf(q.s.logType).op, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, q.s.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		q.s.auth.sign(req.Header, time.Now()) // per attempt: a retry gets a fresh nonce and time
		return req, nil
	})
	var tooLarge *httpapi.TooLargeError
	if errors.As(err, &tooLarge) { // name the page, as for a page that does not decode
		return poller.Page{}, false, failkind.Tag(failkind.Connection, fmt.Errorf("%s %s (records %d to %d): %w", http.MethodPost, q.s.url, q.offset, q.offset+q.s.pageSize, err))
	}
	if err != nil {
		return poller.Page{}, false, q.s.explain(err)
	}
	p, err := q.dec.decode(resp.Body, time.Now(), q.prev)
	if err != nil {
		var re *replyError
		if errors.As(err, &re) { // the API's own error: explained like an HTTP status
			return poller.Page{}, false, q.s.explain(err)
		}
		// Scrubbed: a body that is not a reply is quoted.
		err = q.s.secrets.Err(fmt.Errorf("%s %s (records %d to %d): %w", http.MethodPost, q.s.url, q.offset, q.offset+q.s.pageSize, err))
		var limit *jsonpdata.LimitError
		if errors.As(err, &limit) { // a reply far larger than any real page, as one over the byte cap
			err = failkind.Tag(failkind.Connection, err)
		}
		return poller.Page{}, false, err
	}
	n := len(p.keys)
	if n == 0 {
		q.done = true
		return poller.Page{}, true, nil
	}
	q.offset += n
	q.prev = p.keys[n-1].Time
	q.newest = max(q.newest, p.newest)
	switch {
	case n < q.s.pageSize:
		q.done = true
	case p.hasTotal && int64(q.offset) >= p.total:
		q.done = true
	case q.offset >= rekeyOffset && q.newest > q.gte:
		// Restart at offset 0 from the newest time returned: the engine drops the records of
		// that millisecond it already delivered. When every record so far shares the window's
		// first millisecond, re-keying would read the same rows again forever: walk on instead.
		q.s.logger.Debug("Starting a new query window", zap.Int64("gte", q.newest), zap.Int64("lte", q.lte), zap.Int("after_offset", q.offset))
		q.gte, q.offset = q.newest, 0
	}
	return poller.Page{Logs: p.logs, Keys: p.keys}, false, nil
}

// UpperBound is the window's frozen upper bound: the checkpoint never moves past it, whatever
// time (AUDIT_INSERT_TIME, TIMESTAMP) a record claims, since records up to it may still be
// inserted late.
func (q *query) UpperBound() time.Time { return time.UnixMilli(q.lte) }

// requestBody is the request for the current window and offset, filtered on the record time
// (both trails call it timestamp) and sorted ascending so that records arriving during the
// walk land after it.
func (q *query) requestBody() []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"request_data":{"filters":[{"field":"timestamp","operator":"gte","value":`...)
	b = strconv.AppendInt(b, q.gte, 10)
	b = append(b, `},{"field":"timestamp","operator":"lte","value":`...)
	b = strconv.AppendInt(b, q.lte, 10)
	b = append(b, `}],"search_from":`...)
	b = strconv.AppendInt(b, int64(q.offset), 10)
	b = append(b, `,"search_to":`...)
	b = strconv.AppendInt(b, int64(q.offset+q.s.pageSize), 10)
	b = append(b, `,"sort":{"field":"timestamp","keyword":"asc"}}}`...)
	return b
}

// checkProduct logs what the API host says of the product: a stated product the host does not
// serve is probably a mistake; an unstated one is worth stating, since the host tells only the
// product family.
func checkProduct(logger *zap.Logger, k *logKind, product, host string) {
	family := hostProducts(host)
	switch {
	case product != "" && family != nil && !slices.Contains(family, product):
		logger.Warn("The product setting does not match the tenant's API host; cortex.product may be wrong",
			zap.String("product", product), zap.String("host", host), zap.String("host_products", productNames(family)))
	case product == "" && family != nil:
		logger.Info("The API host is a Cortex "+productNames(family)+" tenant's; set product to put which on every record (cortex.product)",
			zap.String("host", host))
	}
	if family != nil && k.products != nil && !slices.ContainsFunc(family, func(p string) bool { return slices.Contains(k.products, p) }) {
		logger.Warn("This API host belongs to products that do not serve this log type",
			zap.String("log_type", k.name), zap.String("host", host), zap.String("served_by", productNames(k.products)))
	}
}
