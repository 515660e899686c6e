package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// pushTimeout bounds the one export request: a terminal user wants an answer, not a hang.
const pushTimeout = 30 * time.Second

// logsURL turns --push into the OTLP/HTTP logs URL, as the otlphttp exporter does with its
// endpoint: base URL + /v1/logs (a URL already ending in /v1/logs is kept). http:// is refused
// but for a loopback host, as the receivers refuse it for the vendor APIs.
func logsURL(endpoint string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(endpoint))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--push %q must be an http:// or https:// URL, such as http://localhost:4318", endpoint)
	}
	if u.Scheme == "http" && !httpapi.IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("--push %q uses http://, which would send the audit records in cleartext: use https:// "+
			"(http:// is accepted only for a loopback host such as localhost or 127.0.0.1)", endpoint)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if !strings.HasSuffix(u.Path, "/v1/logs") {
		u.Path += "/v1/logs"
	}
	return u.String(), nil
}

// push sends logs in one OTLP/HTTP protobuf export request. A non-2xx answer, or a partial
// success that rejected records, is an error; so is a redirect, which hc must not follow
// (pushClient): the records would go to a host the user did not name.
func push(ctx context.Context, hc *http.Client, target string, logs plog.Logs) error {
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("pushing to %s: %w", target, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		to := "without a Location"
		if u, err := resp.Location(); err == nil {
			to = "to " + u.Scheme + "://" + u.Host
		}
		return fmt.Errorf("pushing to %s: HTTP %d %s redirects %s; the redirect is not followed, so that the records reach "+
			"only the endpoint given: give --push the endpoint itself", target, resp.StatusCode, http.StatusText(resp.StatusCode), to)
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("pushing to %s: HTTP %d %s: %s", target, resp.StatusCode, http.StatusText(resp.StatusCode),
			strings.Join(strings.Fields(string(answer[:min(len(answer), 512)])), " "))
	}
	er := plogotlp.NewExportResponse()
	if len(answer) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
		if err := er.UnmarshalProto(answer); err != nil {
			return fmt.Errorf("pushing to %s: reading the export response: %w", target, err)
		}
	}
	if ps := er.PartialSuccess(); ps.RejectedLogRecords() > 0 {
		return fmt.Errorf("pushing to %s: the endpoint rejected %d records: %s",
			target, ps.RejectedLogRecords(), ps.ErrorMessage())
	}
	return nil
}
