package cyberarkispreceiver // import "github.com/secaudit/otelcol-audit/receiver/cyberarkispreceiver"

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/secaudit/otelcol-audit/internal/failkind"
	"github.com/secaudit/otelcol-audit/internal/httpapi"
	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
	"github.com/secaudit/otelcol-audit/internal/poller"
)

// dateLayout is the createQuery date format, read as UTC. The filter ignores anything below a
// second, so sending milliseconds would only suggest a precision the API does not have.
const dateLayout = "2006-01-02 15:04:05"

const (
	opCreateQuery = "createQuery"
	opResults     = "results"
)

// source opens queries against one Audit API tenant. It is shared by the queries the engine
// opens one after the other, so it holds only what outlives a query: the token cache and the
// settings.
type source struct {
	api        *httpapi.Client
	tokens     *tokenSource
	logger     *zap.Logger
	createURL  string
	resultsURL string
	apiKey     configopaque.String
	telemetry  string
	pageSize   int
	appCodes   []string
	conv       *converter
}

// newSource builds the source; it does no I/O, so Start never waits on the network.
func newSource(c *Config, api *httpapi.Client, set receiver.Settings) (poller.Source, error) {
	audit, err := httpapi.BaseURL(c.ClientConfig.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("endpoint %w", err)
	}
	identity, err := httpapi.BaseURL(c.IdentityURL)
	if err != nil {
		return nil, fmt.Errorf("identity_url %w", err)
	}
	if c.Poll.PollInterval < time.Minute {
		set.Logger.Warn("poll_interval is below one minute; the Audit API is reported to accept about one createQuery per minute per API key",
			zap.Duration("poll_interval", c.Poll.PollInterval))
	}
	version := set.BuildInfo.Version
	if version == "" {
		version = "unknown"
	}
	return &source{
		api:        api,
		tokens:     newTokenSource(api, identity, c, set.Logger),
		logger:     set.Logger,
		createURL:  audit.JoinPath("api/audits/stream/createQuery").String(),
		resultsURL: audit.JoinPath("api/audits/stream/results").String(),
		apiKey:     c.APIKey,
		// Informational only: lets CyberArk see which integration calls the API, as the
		// vendor-affiliated SIEM clients do.
		telemetry: base64.StdEncoding.EncodeToString([]byte(
			"in=otelcol-audit&it=SIEM&iv=" + url.QueryEscape(version) + "&vn=OpenTelemetry")),
		pageSize: c.PageSize,
		appCodes: c.ApplicationCodes,
		conv:     newConverter(audit.Host, version, c.PageSize, api.Secrets()),
	}, nil
}

// Open returns a query for the events at or after from's second.
func (s *source) Open(from time.Time) poller.Query {
	return &query{src: s, from: from, prev: from}
}

// post sends one Audit API call with a bearer token. A 401 renews the token once: tokens can
// be revoked, or expire early when the web app's lifetime was shortened. A second 401 in a row
// means the token itself is not accepted, which only the tenant configuration can fix.
func (s *source) post(ctx context.Context, op, target string, body []byte) (*httpapi.Response, error) {
	for renewed := false; ; renewed = true {
		token, err := s.tokens.get(ctx)
		if err != nil {
			return nil, err
		}
		resp, err := s.api.Do(ctx, op, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", token)
			req.Header.Set("x-api-key", string(s.apiKey))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json")
			req.Header.Set("x-cybr-telemetry", s.telemetry)
			return req, nil
		})
		if httpapi.StatusCode(err) != http.StatusUnauthorized {
			return resp, err
		}
		if renewed {
			return nil, poller.Permanent(failkind.Tag(failkind.Authentication, fmt.Errorf("the Audit API refused a freshly issued access token (%w); "+
				"check the Advanced tab of the OAuth2 Server web app (web_app_id): its script must set the claims tenant_id and aud (cyberark.isp.audit), "+
				"and that the service user (client_id) has Grant, View, Run and Automatically Deploy permissions on the web app", err)))
		}
		s.logger.Info("The Audit API refused the access token; requesting a new one", zap.String("call", op))
		s.tokens.invalidate(token)
	}
}

// query drains one open-ended Audit API query: createQuery from a second, then results pages
// until an empty one, or until the engine ends it at the live end of the trail. It has no
// dateTo: a bounded cursor is frozen at its upper bound, while the engine opens a new query
// from the checkpoint at each poll anyway.
type query struct {
	src  *source
	from time.Time
	// prev is the time of the last record returned, used for records without a usable time.
	prev time.Time
	// tenant is the tenant ID seen so far, for pages whose events carry none.
	tenant string
	cursor string
	// last tells that the previous page ended the cursor chain (no next cursor, or the same).
	last bool
	// createdFrom is the dateFrom of the current cursor's createQuery and page the number of
	// results pages asked of it: together they name a page in errors.
	createdFrom time.Time
	page        int
}

// The createQuery body. The nesting under "query" matters: the API accepts a flat body
// without error but then ignores its filter.
type createQueryRequest struct {
	Query queryModel `json:"query"`
}

type queryModel struct {
	PageSize    int         `json:"pageSize"`
	FilterModel filterModel `json:"filterModel"`
	SortModel   []sortField `json:"sortModel"`
}

type filterModel struct {
	Date            dateFilter      `json:"date"`
	ApplicationCode []includeFilter `json:"applicationCode,omitempty"`
}

type dateFilter struct {
	DateFrom string `json:"dateFrom"`
}

type includeFilter struct {
	Op     string   `json:"op"`
	Params []string `json:"params"`
}

type sortField struct {
	FieldName string `json:"field_name"`
	Direction string `json:"direction"`
}

type cursorResponse struct {
	CursorRef string `json:"cursorRef"`
}

type resultsRequest struct {
	CursorRef string `json:"cursorRef"`
}

// Next fetches the next page, or returns done on an empty page. It reads only the page's
// envelope (the next cursor): the events are converted by the page's Decode, which the engine
// runs while the next request is in flight.
func (q *query) Next(ctx context.Context) (poller.Page, bool, error) {
	if q.last {
		return poller.Page{}, true, nil
	}
	hadCursor := q.cursor != ""
	body, err := q.results(ctx)
	if hadCursor && callStatus(err, opResults) == http.StatusBadRequest {
		// The cursor expired or was invalidated. A new query from the checkpoint reads again
		// what this one returned but was not delivered yet, and what arrived behind its cursor.
		return poller.Page{}, false, poller.Reopen(fmt.Errorf("the Audit API no longer accepts the query cursor: %w", err))
	}
	var tooLarge *httpapi.TooLargeError
	if errors.As(err, &tooLarge) && tooLarge.Op == opResults {
		return poller.Page{}, false, failkind.Tag(failkind.Connection, fmt.Errorf("refusing a results page (%s): %w", q.pageName(), err))
	}
	if err != nil {
		return poller.Page{}, false, auditError(err)
	}
	sent := q.cursor
	name := q.pageName()
	env, err := q.src.conv.scanEnvelope(body)
	if err != nil {
		return poller.Page{}, false, fmt.Errorf("reading a results page (%s): %w", name, err)
	}
	if env.empty {
		return poller.Page{}, true, nil
	}
	if env.cursor == "" || env.cursor == sent {
		q.last = true
	}
	q.cursor = env.cursor
	observed := time.Now()
	return poller.Page{Decode: func() (poller.Page, error) {
		page, err := q.decode(body, observed)
		if err != nil {
			err = fmt.Errorf("reading a results page (%s): %w", name, err)
			if limit := (*jsonpdata.LimitError)(nil); errors.As(err, &limit) {
				// A page that would decode into more than any real page: not the API's answer.
				err = failkind.Tag(failkind.Connection, err)
			}
			return poller.Page{}, err
		}
		return page, nil
	}}, false, nil
}

// pageName names the results page last asked for, e.g. "page 3 of the query from
// 2025-02-11 10:00:00 UTC".
func (q *query) pageName() string {
	return fmt.Sprintf("page %d of the query from %s UTC", q.page, q.createdFrom.Format(dateLayout))
}

// decode converts a fetched page. The engine runs it after the previous page's decode, so
// prev and tenant carry from page to page; Next never reads them.
func (q *query) decode(body []byte, observed time.Time) (poller.Page, error) {
	dp, err := q.src.conv.decodePage(body, pageContext{observed: observed, prev: q.prev, tenant: q.tenant})
	if err != nil {
		return poller.Page{}, err
	}
	if dp.badTimes > 0 || dp.derivedIDs > 0 {
		q.src.logger.Debug("Results page has events without a usable timestamp or uuid",
			zap.Int("bad_timestamp", dp.badTimes), zap.Int("missing_uuid", dp.derivedIDs))
	}
	if n := len(dp.page.Keys); n > 0 {
		q.prev = dp.page.Keys[n-1].Time
	}
	q.tenant = dp.tenant
	return dp.page, nil
}

// results fetches the page at the current cursor, creating the query first when there is none.
func (q *query) results(ctx context.Context) ([]byte, error) {
	if q.cursor == "" {
		cursor, err := q.create(ctx)
		if err != nil {
			return nil, err
		}
		q.cursor, q.page = cursor, 0
	}
	q.page++
	req, _ := json.Marshal(resultsRequest{CursorRef: q.cursor})
	resp, err := q.src.post(ctx, opResults, q.src.resultsURL, req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// create posts createQuery from the query's start and returns its cursor.
func (q *query) create(ctx context.Context) (string, error) {
	q.createdFrom = q.from.UTC().Truncate(time.Second)
	m := queryModel{
		PageSize:    q.src.pageSize,
		FilterModel: filterModel{Date: dateFilter{DateFrom: q.createdFrom.Format(dateLayout)}},
		SortModel:   []sortField{{FieldName: "timestamp", Direction: "asc"}},
	}
	if len(q.src.appCodes) > 0 {
		m.FilterModel.ApplicationCode = []includeFilter{{Op: "include", Params: q.src.appCodes}}
	}
	req, err := json.Marshal(createQueryRequest{Query: m})
	if err != nil {
		return "", err
	}
	resp, err := q.src.post(ctx, opCreateQuery, q.src.createURL, req)
	if err != nil {
		if callStatus(err, opCreateQuery) == http.StatusBadRequest {
			return "", poller.Permanent(failkind.Tag(failkind.Configuration, fmt.Errorf("the Audit API rejected the query (%w); check page_size (1 to %d) and application_codes", err, maxPageSize)))
		}
		return "", err
	}
	var cr cursorResponse
	if err := json.Unmarshal(resp.Body, &cr); err != nil || cr.CursorRef == "" {
		return "", failkind.Tag(failkind.Connection, fmt.Errorf("createQuery answered without a cursorRef (%s); check that endpoint is the Audit API base URL shown on the Export to SIEM integration",
			httpapi.DescribeBody(resp.Body, q.src.conv.secrets)))
	}
	return cr.CursorRef, nil
}
