package httpapi

import (
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
)

// Timeout bounds: 0 waits for ever on a stalled connection, and a long timeout holds the poll
// as long; both stop collection without an error.
const (
	minTimeout = time.Second
	maxTimeout = 10 * time.Minute
)

// CheckClientSettings checks the confighttp settings a receiver takes from its users, naming
// each key as they write it. reserved are the headers the receiver sets itself: a header of
// that name under headers would replace the receiver's credentials on every request.
func CheckClientSettings(cc *confighttp.ClientConfig, reserved ...string) []error {
	var errs []error
	if cc.Timeout < minTimeout || cc.Timeout > maxTimeout {
		errs = append(errs, fmt.Errorf("timeout must be between %s and %s, got %s", minTimeout, maxTimeout, cc.Timeout))
	}
	for _, h := range cc.Headers {
		for _, r := range reserved {
			if strings.EqualFold(h.Name, r) {
				errs = append(errs, fmt.Errorf("headers::%s must not be set: the receiver sets %s itself, from its credential settings", h.Name, r))
			}
		}
	}
	return errs
}
