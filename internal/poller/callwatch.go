package poller

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// callWatch is the HTTP client's observer: it counts requests (Telemetry) and reports the
// first failed call of a run of failures at once, with a warning and a recoverable status,
// while the client keeps retrying as retry_on_failure says; and it logs when calls succeed
// again. Without it a host that does not resolve stays silent until the retries give up.
type callWatch struct {
	Telemetry
	logger *zap.Logger
	// report is the poller's status reporter, set before the first call.
	report func(*componentstatus.Event)

	mu      sync.Mutex
	failing bool
}

// Retrying implements httpapi.RetryObserver.
func (w *callWatch) Retrying(_ context.Context, op string, attempt int, err error) {
	w.mu.Lock()
	first := !w.failing
	w.failing = true
	w.mu.Unlock()
	if !first {
		return
	}
	w.logger.Warn("A vendor API call failed; retrying as retry_on_failure says. If it goes on, check endpoint "+
		"(and identity_url for the token call), proxy_url, DNS and firewall rules from this host, and tls settings",
		zap.String("call", op), zap.Int("attempt", attempt), zap.Error(err))
	if w.report != nil {
		w.report(componentstatus.NewRecoverableErrorEvent(err))
	}
}

// Request implements httpapi.Observer.
func (w *callWatch) Request(ctx context.Context, op string, status int, outcome string) {
	w.Telemetry.Request(ctx, op, status, outcome)
	if outcome != "success" {
		return
	}
	w.mu.Lock()
	recovered := w.failing
	w.failing = false
	w.mu.Unlock()
	if recovered {
		w.logger.Info("The vendor API answers again", zap.String("call", op))
	}
}
