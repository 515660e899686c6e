// Package httpapi sends requests to a vendor API the way both receivers need: a shared per-tenant
// rate limit, retries of 429, 5xx and network errors with capped exponential backoff and
// Retry-After, a response-size cap, no redirects followed, and errors that never carry a secret.
package httpapi // import "github.com/secaudit/otelcol-audit/internal/httpapi"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/secaudit/otelcol-audit/internal/pacing"
)

// DefaultMaxResponseBytes caps a response body: far above a full page of either API (a 500-event
// CyberArk page is about 1 MiB), low enough that a misbehaving server cannot exhaust memory.
const DefaultMaxResponseBytes = 32 << 20

// MaxRetryAfter caps how long a Retry-After header may hold a request back.
const MaxRetryAfter = 5 * time.Minute

// Observer is told about every attempt, for the receivers' telemetry. outcome is "success",
// "retried", or "failed"; status is the HTTP status, 0 for a network error.
type Observer interface {
	Request(ctx context.Context, op string, status int, outcome string)
}

// RetryObserver, when the Observer implements it too, is also told the error of every attempt
// that is retried, so that the first failure can be reported at once rather than when the
// retries give up (minutes later with the default retry_on_failure).
type RetryObserver interface {
	Retrying(ctx context.Context, op string, attempt int, err error)
}

// Settings configure a Client.
type Settings struct {
	HTTP             *http.Client
	Retry            configretry.BackOffConfig
	Limiter          *rate.Limiter // nil: no client-side limit
	MaxResponseBytes int64         // 0: DefaultMaxResponseBytes
	Secrets          *Secrets      // scrubbed from every error text; nil: a new empty set
	Observer         Observer      // may be nil
	Logger           *zap.Logger
	Clock            clockwork.Clock // nil: the real clock
	// VendorClock, when set, is measured from the Date header of every response.
	VendorClock *VendorClock
}

// Client sends requests with retries. It is safe for concurrent use.
type Client struct {
	s Settings
}

// New returns a Client.
func New(s Settings) *Client {
	if s.MaxResponseBytes <= 0 {
		s.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if s.Clock == nil {
		s.Clock = clockwork.NewRealClock()
	}
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	s.HTTP = withoutRedirects(s.HTTP)
	if s.Secrets == nil {
		s.Secrets = NewSecrets()
	}
	return &Client{s: s}
}

// Response is a successful (2xx) response, its body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends the request that newReq builds, building it anew for each attempt so that bodies and
// per-request signatures are fresh. op names the call in errors, logs and metrics. A 2xx
// response is returned; any other status is a *StatusError after the retries allowed.
func (c *Client) Do(ctx context.Context, op string, newReq func(context.Context) (*http.Request, error)) (*Response, error) {
	bo := pacing.NewBackOff(c.s.Retry)
	start := c.s.Clock.Now()
	for attempt := 1; ; attempt++ {
		resp, wait, err := c.attempt(ctx, op, newReq)
		if err == nil {
			c.observe(ctx, op, resp.Status, "success")
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		if !c.s.Retry.Enabled || !Retryable(err) {
			c.observe(ctx, op, StatusCode(err), "failed")
			return nil, err
		}
		next := bo.NextBackOff()
		if wait > next {
			next = wait
		}
		elapsed := c.s.Clock.Since(start)
		if limit := c.s.Retry.MaxElapsedTime; limit > 0 && elapsed+next > limit {
			c.observe(ctx, op, StatusCode(err), "failed")
			return nil, &GaveUpError{Err: err, Attempts: attempt, Elapsed: elapsed.Round(time.Millisecond)}
		}
		c.observe(ctx, op, StatusCode(err), "retried")
		if ro, ok := c.s.Observer.(RetryObserver); ok {
			ro.Retrying(ctx, op, attempt, err)
		}
		c.s.Logger.Debug("Retrying vendor API call", zap.String("call", op), zap.Int("attempt", attempt),
			zap.Duration("wait", next), zap.String("error", err.Error()))
		if err := pacing.Sleep(ctx, c.s.Clock, next); err != nil {
			return nil, err
		}
	}
}

// attempt sends one request. wait is how long a Retry-After header asked to wait.
func (c *Client) attempt(ctx context.Context, op string, newReq func(context.Context) (*http.Request, error)) (*Response, time.Duration, error) {
	if c.s.Limiter != nil {
		if err := c.s.Limiter.Wait(ctx); err != nil {
			return nil, 0, fmt.Errorf("%s: waiting for the rate limit: %w", op, err)
		}
	}
	req, err := newReq(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: building request: %w", op, err)
	}
	resp, err := c.s.HTTP.Do(req)
	if err != nil {
		return nil, 0, &NetworkError{Op: op, Err: errors.New(c.scrub(err.Error()))}
	}
	defer func() { _ = resp.Body.Close() }()
	c.s.VendorClock.Observe(resp.Header, c.s.Clock.Now())
	if isRedirect(resp.StatusCode) {
		re := redirectError(op, resp)
		re.Location = c.scrub(re.Location)
		return nil, 0, re
	}
	body, readErr := c.readBody(resp)
	if int64(len(body)) > c.s.MaxResponseBytes || resp.ContentLength > c.s.MaxResponseBytes {
		return nil, 0, &TooLargeError{Op: op, Limit: c.s.MaxResponseBytes, Announced: max(resp.ContentLength, 0)}
	}
	if readErr != nil {
		return nil, 0, &NetworkError{Op: op, Err: fmt.Errorf("reading response body: %s", c.scrub(readErr.Error()))}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, retryAfter(resp.Header.Get("Retry-After"), c.s.Clock.Now()), &StatusError{
			Op: op, Status: resp.StatusCode, Body: Quote(string(body[:min(len(body), 4096)]), maxStatusBody, c.s.Secrets), Header: resp.Header.Clone(),
		}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, 0, nil
}

// readBody reads at most MaxResponseBytes+1 bytes of the body. A page is read into a buffer
// of its announced length at once: growing one from 512 bytes to a 500 KB page would copy it
// about ten times, on the path between one request and the next. A body announced larger than
// the limit is not read at all.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.s.MaxResponseBytes {
		return nil, nil
	}
	limit := c.s.MaxResponseBytes + 1
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n+bytes.MinRead, limit))) // ReadFrom grows the buffer when less is free
	}
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, limit))
	return buf.Bytes(), err
}

func (c *Client) observe(ctx context.Context, op string, status int, outcome string) {
	if c.s.Observer != nil {
		c.s.Observer.Request(ctx, op, status, outcome)
	}
}

// scrub removes every secret of the client's set from s.
func (c *Client) scrub(s string) string {
	return c.s.Secrets.Scrub(s)
}

// Secrets returns the set the client scrubs from its errors, for the receivers' own messages
// and for secrets they learn at run time (an access token). It is nil for a nil Client.
func (c *Client) Secrets() *Secrets {
	if c == nil {
		return nil
	}
	return c.s.Secrets
}
