package simulator

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	caMaxPageSize     = 500
	caDefaultPageSize = 100 // the real default is unknown; clients should always send pageSize
)

// ---- token endpoint ----

func oauthError(status int, code, desc string) response {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	return jsonResponse(status, body)
}

// handleToken implements POST /OAuth2/Token/{webAppId}. Checks run in the order a client fixes its
// setup: app id, grant type, client credentials, scope.
func (s *Simulator) handleToken(r *http.Request) response {
	if r.Method != http.MethodPost {
		return oauthError(http.StatusMethodNotAllowed, "invalid_request", "use POST")
	}
	appID := strings.TrimSuffix(r.URL.Path[len("/oauth2/token/"):], "/")
	if appID != s.opts.WebAppID {
		return oauthError(http.StatusBadRequest, "invalid_request", "unknown app "+appID)
	}
	if err := r.ParseForm(); err != nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "malformed form body")
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "client_credentials":
	case "":
		return oauthError(http.StatusBadRequest, "invalid_request", "missing grant_type")
	default:
		return oauthError(http.StatusBadRequest, "invalid_grant", "invalid grant type")
	}
	// HTTP Basic wins when present; otherwise the form fields. Both are used by real clients.
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if !s.validClient(id, secret) {
		resp := oauthError(http.StatusUnauthorized, "invalid_client", "invalid client credentials")
		if basic {
			resp.header = [][2]string{{"WWW-Authenticate", `Basic realm="oauth2"`}}
		}
		return resp
	}
	if sc := r.PostForm.Get("scope"); sc != CyberArkScope {
		return oauthError(http.StatusBadRequest, "invalid_scope", "scope "+strconv.Quote(sc)+" is not defined for app "+appID)
	}
	now := s.now()
	tok := s.tokens.issue(now, s.opts.TokenTTL, id, s.opts.TenantID)
	s.stats.tokens.Add(1)
	body, _ := json.Marshal(map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(s.opts.TokenTTL / time.Second),
		"scope":        CyberArkScope,
	})
	return jsonResponse(http.StatusOK, body)
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// ---- audit API ----

// caError is the Audit API's error body. The real shape is undocumented; these are the keys one
// production client looks for (code, message, description).
func caError(status int, desc string) response {
	body, _ := json.Marshal(map[string]any{"code": status, "message": http.StatusText(status), "description": desc})
	return jsonResponse(status, body)
}

// caAuth checks the bearer token (401) and then the SIEM API key (403).
func (s *Simulator) caAuth(r *http.Request) (response, bool) {
	authz := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "Bearer") || !s.tokens.valid(strings.TrimSpace(tok), s.now()) {
		resp := caError(http.StatusUnauthorized, "missing, expired or revoked access token")
		resp.header = [][2]string{{"WWW-Authenticate", `Bearer error="invalid_token"`}}
		return resp, false
	}
	if !equal(r.Header.Get("x-api-key"), s.opts.APIKey) {
		return caError(http.StatusForbidden, "invalid API key"), false
	}
	return response{}, true
}

func readBody(r *http.Request) ([]byte, response, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, caError(http.StatusRequestEntityTooLarge, "request body too large"), false
		}
		return nil, caError(http.StatusBadRequest, "cannot read body"), false
	}
	return body, response{}, true
}

type caSortWire struct {
	FieldName string `json:"field_name"`
	Direction string `json:"direction"`
}

type caFilterWire struct {
	Op     string   `json:"op"`
	Params []string `json:"params"`
}

type caQueryWire struct {
	PageSize       *int                       `json:"pageSize"`
	SelectedFields []string                   `json:"selectedFields"`
	FilterModel    map[string]json.RawMessage `json:"filterModel"`
	SortModel      []caSortWire               `json:"sortModel"`
}

// caPost admits an Audit API call: POST, a valid bearer token and API key, a readable body.
func (s *Simulator) caPost(r *http.Request) ([]byte, response, bool) {
	if r.Method != http.MethodPost {
		return nil, caError(http.StatusMethodNotAllowed, "use POST"), false
	}
	if resp, ok := s.caAuth(r); !ok {
		return nil, resp, false
	}
	return readBody(r)
}

// handleCreateQuery implements POST /api/audits/stream/createQuery.
func (s *Simulator) handleCreateQuery(r *http.Request) response {
	body, resp, ok := s.caPost(r)
	if !ok {
		return resp
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return caError(http.StatusBadRequest, "body must be a JSON object")
	}
	var q caQuery
	if raw, nested := top["query"]; nested {
		var err error
		if q, err = parseCAQuery(raw); err != nil {
			return caError(http.StatusBadRequest, err.Error())
		}
	} else {
		// The flat body of early clients is accepted and its filter ignored, which is what the
		// public notes infer the real service did: wrong data, no error.
		q = caQuery{PageSize: caDefaultPageSize, Legacy: true}
	}
	if resp, ok := s.checkQueryInterval(); !ok {
		return resp
	}
	now := s.now()
	if q.Desc {
		q.Upper = now.UnixMilli()
	}
	ref := s.encodeCursor(caCursor{Query: q, Position: []uint64{}, Created: now.UnixMilli()})
	out, _ := json.Marshal(map[string]string{"cursorRef": ref})
	return jsonResponse(http.StatusOK, out)
}

func parseCAQuery(raw json.RawMessage) (caQuery, error) {
	var w caQueryWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return caQuery{}, errors.New("query: " + err.Error())
	}
	q := caQuery{PageSize: caDefaultPageSize, Fields: w.SelectedFields}
	if w.PageSize != nil {
		if *w.PageSize < 1 || *w.PageSize > caMaxPageSize {
			return q, errors.New("pageSize must be between 1 and 500")
		}
		q.PageSize = *w.PageSize
	}
	for key, val := range w.FilterModel {
		if key == "date" {
			var d struct {
				DateFrom *string `json:"dateFrom"`
				DateTo   *string `json:"dateTo"`
			}
			if err := json.Unmarshal(val, &d); err != nil {
				return q, errors.New("filterModel.date: " + err.Error())
			}
			if d.DateFrom != nil {
				t, err := parseCADate(*d.DateFrom)
				if err != nil {
					return q, errors.New("dateFrom: " + err.Error())
				}
				ms := t.UnixMilli()
				q.From = &ms
			}
			if d.DateTo != nil {
				t, err := parseCADate(*d.DateTo)
				if err != nil {
					return q, errors.New("dateTo: " + err.Error())
				}
				ms := t.UnixMilli() + 999 // the whole dateTo second is included
				q.To = &ms
			}
			continue
		}
		if _, known := caFilterKeys[key]; !known {
			continue // unknown filter keys are ignored, silently, like other malformed input
		}
		var conds []caFilterWire
		if err := json.Unmarshal(val, &conds); err != nil {
			return q, errors.New("filterModel." + key + ": " + err.Error())
		}
		for _, c := range conds {
			if !strings.EqualFold(c.Op, "include") {
				return q, errors.New("filterModel." + key + ": unsupported op " + strconv.Quote(c.Op))
			}
			if q.Include == nil {
				q.Include = map[string][][]string{}
			}
			q.Include[key] = append(q.Include[key], c.Params)
		}
	}
	for _, sm := range w.SortModel {
		if sm.FieldName != "timestamp" && sm.FieldName != "date" {
			continue
		}
		switch strings.ToLower(sm.Direction) {
		case "asc", "":
			q.Desc = false
		case "desc":
			q.Desc = true
		default:
			return q, errors.New("sortModel: direction must be asc or desc")
		}
		break
	}
	return q, nil
}

// checkQueryInterval enforces Options.QueryInterval on createQuery.
func (s *Simulator) checkQueryInterval() (response, bool) {
	if s.opts.QueryInterval <= 0 {
		return response{}, true
	}
	s.queryMu.Lock()
	defer s.queryMu.Unlock()
	if wait := s.opts.QueryInterval - time.Since(s.lastQuery); !s.lastQuery.IsZero() && wait > 0 {
		resp := caError(http.StatusTooManyRequests, "too many queries")
		resp.header = [][2]string{{"Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds())))}}
		return resp, false
	}
	s.lastQuery = time.Now()
	return response{}, true
}

// handleResults implements POST /api/audits/stream/results.
func (s *Simulator) handleResults(r *http.Request) response {
	body, resp, ok := s.caPost(r)
	if !ok {
		return resp
	}
	var req struct {
		CursorRef string `json:"cursorRef"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.CursorRef == "" {
		return caError(http.StatusBadRequest, "body must be {\"cursorRef\": \"...\"}")
	}
	c, err := s.decodeCursor(req.CursorRef)
	if err != nil {
		return caError(http.StatusBadRequest, "invalid cursorRef")
	}
	now := s.now()
	if ttl := s.opts.CursorTTL; ttl > 0 && now.UnixMilli()-c.Created > ttl.Milliseconds() {
		return caError(http.StatusBadRequest, "cursor expired")
	}
	if _, expired := s.faults.take(CyberArk, EndpointResults, FaultExpireCursor); expired {
		return caError(http.StatusBadRequest, "cursor expired")
	}
	return s.caPage(c, now)
}

// caPage renders one results page. The records are copied from their pre-rendered JSON under the
// store's read lock; finding the first one is a binary search.
func (s *Simulator) caPage(c caCursor, now time.Time) response {
	q := &c.Query
	from := int64(math.MinInt64)
	if q.From != nil {
		from = *q.From
	}
	if s.opts.CyberArkRetention > 0 {
		from = max(from, now.Add(-s.opts.CyberArkRetention).UnixMilli())
	}
	to := int64(math.MaxInt64)
	if q.To != nil {
		to = *q.To
	}
	if q.Desc && q.Upper != 0 {
		to = min(to, q.Upper)
	}
	st := s.ca.store
	filters := map[int][][]string{}
	for key, lists := range q.Include {
		filters[caFilterKeys[key]] = lists
	}
	m := st.vocab.compile(filters)
	var keep map[string]bool
	if len(q.Fields) > 0 {
		keep = map[string]bool{"uuid": true, "timestamp": true}
		for _, f := range q.Fields {
			keep[snakeToCamel(f)] = true
		}
	}

	bp := getBuf()
	b := (*bp)[:0]
	b = append(b, `{"data":[`...)
	n := 0
	var lastTS, lastSeq uint64
	emit := func(rec *record) {
		if n > 0 {
			b = append(b, ',')
		}
		if keep != nil {
			b = appendProjected(b, rec.raw, keep)
		} else {
			b = append(b, rec.raw...)
		}
		n++
		lastTS, lastSeq = uint64(rec.ts), rec.seq
	}
	st.read(func(recs []record) {
		if !q.Desc {
			i := lowerBound(recs, from)
			if len(c.Position) == 2 {
				i = max(i, afterKey(recs, int64(c.Position[0]), c.Position[1]))
			}
			for ; i < len(recs) && recs[i].ts <= to && n < q.PageSize; i++ {
				if m.match(&recs[i]) {
					emit(&recs[i])
				}
			}
			return
		}
		i := upperBound(recs, to) - 1
		if len(c.Position) == 2 {
			i = min(i, atOrAfterKey(recs, int64(c.Position[0]), c.Position[1])-1)
		}
		for ; i >= 0 && recs[i].ts >= from && n < q.PageSize; i-- {
			if m.match(&recs[i]) {
				emit(&recs[i])
			}
		}
	})
	if n > 0 {
		c.Position = []uint64{lastTS, lastSeq}
	}
	b = append(b, `],"paging":{"cursor":{"cursorRef":`...)
	b = appendJSONString(b, s.encodeCursor(c))
	b = append(b, `}}}`...)
	*bp = b
	return response{status: http.StatusOK, ctype: "application/json", body: b, buf: bp}
}

// atOrAfterKey is the first index whose (ts, seq) is at least (ts, seq).
func atOrAfterKey(recs []record, ts int64, seq uint64) int {
	i, _ := slices.BinarySearchFunc(recs, 0, func(r record, _ int) int {
		if r.less(ts, seq) {
			return -1
		}
		return 1
	})
	return i
}

// appendProjected appends the subset of the JSON object raw whose keys are in keep, in their
// original order. It is the slow path, taken only when a query names selectedFields.
func appendProjected(b, raw []byte, keep map[string]bool) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return append(b, raw...)
	}
	b = append(b, '{')
	first := true
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			break
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			break
		}
		k, _ := kt.(string)
		if !keep[k] {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}

// validClient checks a service user's credentials against the configured one and the extra ones.
func (s *Simulator) validClient(id, secret string) bool {
	if equal(id, s.opts.ClientID) && equal(secret, s.opts.ClientSecret) {
		return true
	}
	extra, ok := s.opts.ExtraClients[id]
	return ok && equal(secret, extra)
}
