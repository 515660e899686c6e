// Package statustest gives tests a collector host with storage extensions that also records the
// component status events a receiver reports, so that a test can assert what a user would see.
package statustest // import "github.com/secaudit/otelcol-audit/internal/testsupport/statustest"

import (
	"sync"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component/componentstatus"
)

// Host is a storagetest host that implements componentstatus.Reporter.
type Host struct {
	*storagetest.StorageHost
	mu     sync.Mutex
	events []*componentstatus.Event
}

// New wraps a storage host.
func New(storage *storagetest.StorageHost) *Host {
	return &Host{StorageHost: storage}
}

// Report records one status event.
func (h *Host) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

// Events returns the events reported so far, oldest first.
func (h *Host) Events() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*componentstatus.Event(nil), h.events...)
}

// Last returns the latest event, or nil.
func (h *Host) Last() *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	return h.events[len(h.events)-1]
}

// LastErr returns the error of the latest event with the given status, or nil.
func (h *Host) LastErr(st componentstatus.Status) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.events) - 1; i >= 0; i-- {
		if h.events[i].Status() == st {
			return h.events[i].Err()
		}
	}
	return nil
}

// Errors returns the errors of every event that carried one.
func (h *Host) Errors() []error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var errs []error
	for _, ev := range h.events {
		if ev.Err() != nil {
			errs = append(errs, ev.Err())
		}
	}
	return errs
}
