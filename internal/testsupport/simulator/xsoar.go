package simulator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

const (
	xsMaxWindow  = 100
	xsNonceLen   = 64
	xsWindowText = "0 < search_size <= 100"
)

// xsoarError is the public_api error envelope.
func xsoarError(status int, msg string) response {
	body, _ := json.Marshal(map[string]any{"reply": map[string]any{"err_code": status, "err_msg": msg, "err_extra": nil}})
	return jsonResponse(status, body)
}

func xsoarUnauthorized() response {
	return xsoarError(http.StatusUnauthorized, "Public API request unauthorized")
}

// nonceStore remembers advanced-key nonces until their timestamp can no longer pass the skew
// check, after which a replay fails on the timestamp anyway.
type nonceStore struct {
	mu      sync.Mutex
	seen    map[string]int64 // nonce -> simulator-clock ms after which it may be forgotten
	inserts int
}

func newNonceStore() *nonceStore { return &nonceStore{seen: map[string]int64{}} }

// use records nonce and reports whether it was fresh.
func (ns *nonceStore) use(nonce string, forgetAt, nowMs int64) bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if _, dup := ns.seen[nonce]; dup {
		return false
	}
	ns.seen[nonce] = forgetAt
	ns.inserts++
	if ns.inserts%1024 == 0 {
		for n, t := range ns.seen {
			if t < nowMs {
				delete(ns.seen, n)
			}
		}
	}
	return true
}

func isAlnum(s string) bool {
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// xsoarAuth checks a request against the configured key. Every failure, including a key of the
// other security level, gives the same 401 body, as the real API does.
func (s *Simulator) xsoarAuth(r *http.Request) bool {
	keyID := r.Header.Get("x-xdr-auth-id")
	key, ok := s.opts.ExtraXSOARKeys[keyID]
	if equal(keyID, s.opts.XSOARKeyID) {
		key, ok = s.opts.XSOARKey, true
	}
	if !ok {
		return false
	}
	authz := r.Header.Get("Authorization")
	if s.opts.XSOARKeyLevel == KeyStandard {
		return equal(authz, key)
	}
	nonce, tsText := r.Header.Get("x-xdr-nonce"), r.Header.Get("x-xdr-timestamp")
	if len(nonce) != xsNonceLen || !isAlnum(nonce) {
		return false
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return false
	}
	now := s.now().UnixMilli()
	skew := s.opts.XSOARMaxSkew.Milliseconds()
	if ts < now-skew || ts > now+skew {
		return false
	}
	sum := sha256.Sum256([]byte(key + nonce + tsText))
	if !equal(authz, hex.EncodeToString(sum[:])) {
		return false
	}
	// Only a correctly signed request burns its nonce; a replay of it is then refused.
	return s.nonces.use(nonce, ts+skew, now)
}

type xsFilterWire struct {
	Field    string          `json:"field"`
	Operator string          `json:"operator"`
	Value    json.RawMessage `json:"value"`
}

type xsRequestWire struct {
	RequestData *struct {
		Filters    []xsFilterWire `json:"filters"`
		SearchFrom *int64         `json:"search_from"`
		SearchTo   *int64         `json:"search_to"`
		Sort       *struct {
			Field   string `json:"field"`
			Keyword string `json:"keyword"`
		} `json:"sort"`
	} `json:"request_data"`
}

// xsQuery is a validated management_logs request.
type xsQuery struct {
	gte, lte int64 // inclusive bounds on AUDIT_INSERT_TIME
	in       map[int][][]string
	from, to int64
	desc     bool
}

// errWindow is the search-size error; the real API answers it with 500 and this text (the notes
// allow 400 or 500; 500 is what one collector quotes).
var errWindow = errors.New(xsWindowText)

// xsTrail is one audit trail of the Cortex tenant: the management log or the agents' reports.
// Both take the same request shape and answer in the same envelope.
type xsTrail struct {
	vendor     Vendor // the record feed
	endpoint   Endpoint
	filterKeys map[string]int // filter field -> record key slot
	// folded are the key slots whose values a filter matches in any letter case: they are
	// stored in lower case.
	folded map[int]bool
}

var managementTrail = xsTrail{vendor: XSOAR, endpoint: EndpointManagementLogs, filterKeys: xsFilterKeys}

// parse validates a request of the trail.
func (t xsTrail) parse(body []byte) (xsQuery, error) {
	q := xsQuery{gte: -1 << 63, lte: 1<<63 - 1, in: map[int][][]string{}, to: 100, desc: true}
	var w xsRequestWire
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return q, errors.New("invalid JSON body: " + err.Error())
	}
	if w.RequestData == nil {
		return q, errors.New("request_data is required")
	}
	rd := w.RequestData
	for _, f := range rd.Filters {
		op := strings.ToLower(f.Operator)
		if f.Field == "timestamp" {
			var v int64
			if err := json.Unmarshal(f.Value, &v); err != nil {
				return q, errors.New("timestamp filter value must be an integer (epoch ms)")
			}
			switch op {
			case "gte":
				q.gte = max(q.gte, v)
			case "lte":
				q.lte = min(q.lte, v)
			default:
				return q, errors.New("timestamp filter operator must be gte or lte")
			}
			continue
		}
		key, ok := t.filterKeys[f.Field]
		if !ok {
			return q, errors.New("unsupported filter field " + strconv.Quote(f.Field))
		}
		if op != "in" {
			return q, errors.New(f.Field + " filter operator must be in")
		}
		var vals []string
		if err := json.Unmarshal(f.Value, &vals); err != nil {
			return q, errors.New(f.Field + " filter value must be a list of strings")
		}
		if t.folded[key] {
			for i, v := range vals {
				vals[i] = strings.ToLower(v)
			}
		}
		q.in[key] = append(q.in[key], vals)
	}
	if rd.SearchFrom != nil {
		q.from = *rd.SearchFrom
	}
	if rd.SearchTo != nil {
		q.to = *rd.SearchTo
	} else {
		q.to = q.from + 100
	}
	if q.from < 0 || q.to-q.from < 1 || q.to-q.from > xsMaxWindow {
		return q, errWindow
	}
	if rd.Sort != nil {
		if rd.Sort.Field != "timestamp" {
			// Sorting by type/sub_type/result exists in the real API; the simulator only keeps a
			// time index, so it refuses instead of answering in the wrong order.
			return q, errors.New("simulator supports sort.field \"timestamp\" only")
		}
		switch strings.ToLower(rd.Sort.Keyword) {
		case "asc":
			q.desc = false
		case "desc", "":
		default:
			return q, errors.New("sort.keyword must be asc or desc")
		}
	}
	return q, nil
}

// handleManagementLogs implements POST /public_api/v1/audits/management_logs.
func (s *Simulator) handleManagementLogs(r *http.Request) response {
	return s.handleTrail(r, managementTrail)
}

// handleTrail answers a request for one trail: authentication, the licence and RBAC faults, the
// query, then the page.
func (s *Simulator) handleTrail(r *http.Request, t xsTrail) response {
	if r.Method != http.MethodPost {
		return xsoarError(http.StatusMethodNotAllowed, "Method not allowed")
	}
	if !s.xsoarAuth(r) {
		return xsoarUnauthorized()
	}
	if _, ok := s.faults.take(XSOAR, t.endpoint, FaultLicense); ok {
		return xsoarError(http.StatusPaymentRequired, "User does not have the required license type")
	}
	if _, ok := s.faults.take(XSOAR, t.endpoint, FaultForbidden); ok {
		return xsoarError(http.StatusForbidden, "API key does not have the required RBAC permissions")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return xsoarError(http.StatusBadRequest, "cannot read body")
	}
	q, err := t.parse(body)
	if errors.Is(err, errWindow) {
		return xsoarError(http.StatusInternalServerError, xsWindowText)
	}
	if err != nil {
		return xsoarError(http.StatusBadRequest, err.Error())
	}
	_, omitTotal := s.faults.take(XSOAR, t.endpoint, FaultOmitTotalCount)
	return s.xsPage(s.feed(t.vendor), q, !omitTotal)
}

// scaled is a time filter bound in epoch ms in the store's unit, the open bounds kept open.
func scaled(ms, unit int64) int64 {
	switch {
	case ms <= math.MinInt64/unit:
		return math.MinInt64
	case ms >= math.MaxInt64/unit:
		return math.MaxInt64
	}
	return ms * unit
}

// xsPage renders one page of the filtered, sorted result set of feed f. With only time filters
// the set is a contiguous run of the store found by two binary searches, so paging is O(page).
// Field filters need a scan of the time range to count total_count. The bounds compare with
// the exact record time: lte excludes a report a fraction of a millisecond past it.
func (s *Simulator) xsPage(f *feed, q xsQuery, withTotal bool) response {
	st := f.store
	q.gte, q.lte = scaled(q.gte, f.unit), scaled(q.lte, f.unit)
	m := st.vocab.compile(q.in)
	limit := q.to
	if w := s.opts.XSOARResultWindow; w > 0 {
		limit = min(limit, int64(w)) // rows past the window are silently not returned
	}

	bp := getBuf()
	b := (*bp)[:0]
	var total, n int64
	data := getBuf()
	d := (*data)[:0]
	take := func(rec *record, idx int64) {
		if idx >= q.from && idx < limit {
			if n > 0 {
				d = append(d, ',')
			}
			d = append(d, rec.raw...)
			n++
		}
	}
	st.read(func(recs []record) {
		lo, hi := lowerBound(recs, q.gte), len(recs)
		if q.lte < 1<<63-1 {
			hi = upperBound(recs, q.lte)
		}
		if hi <= lo {
			return
		}
		if len(m) == 0 {
			total = int64(hi - lo)
			for idx := q.from; idx < min(limit, total); idx++ {
				i := lo + int(idx)
				if q.desc {
					i = hi - 1 - int(idx)
				}
				take(&recs[i], idx)
			}
			return
		}
		for k := range hi - lo {
			i := lo + k
			if q.desc {
				i = hi - 1 - k
			}
			if m.match(&recs[i]) {
				take(&recs[i], total)
				total++
			}
		}
	})

	b = append(b, `{"reply":{`...)
	if withTotal {
		b = append(b, `"total_count":`...)
		b = strconv.AppendInt(b, total, 10)
		b = append(b, ',')
	}
	b = append(b, `"result_count":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"data":[`...)
	b = append(b, d...)
	b = append(b, "]}}"...)
	*data = d
	putBuf(data)
	*bp = b
	return response{status: http.StatusOK, ctype: "application/json", body: b, buf: bp}
}
