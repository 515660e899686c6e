package httpapi

import (
	"fmt"
	"net/http"
)

// RedirectError is a 3xx answer. Vendor calls never follow a redirect: Go's client would carry
// x-api-key to any host, the token request's body (client_secret) on a 307 or 308, and
// Authorization to another port or scheme of the same host. A redirect from a vendor API is
// almost always a wrong endpoint (a portal or a login page), a setting the user must fix.
type RedirectError struct {
	Op     string
	Status int
	// Location is the scheme and host (with port) the redirect pointed to, "" when it had none.
	// Its path and query are left out: they may carry a token of the redirecting site.
	Location string
}

func (e *RedirectError) Error() string {
	to := "without a Location"
	if e.Location != "" {
		to = "to " + e.Location
	}
	return fmt.Sprintf("%s: HTTP %d %s redirects %s; redirects are not followed, so that credentials reach no other host",
		e.Op, e.Status, http.StatusText(e.Status), to)
}

// isRedirect reports whether a status would make Go's client follow a redirect, or is any
// other 3xx: none of them is an answer a vendor call can use.
func isRedirect(status int) bool { return status >= 300 && status <= 399 }

// redirectError describes a 3xx response, naming where its Location header points.
func redirectError(op string, resp *http.Response) *RedirectError {
	e := &RedirectError{Op: op, Status: resp.StatusCode}
	if u, err := resp.Location(); err == nil && u.Host != "" {
		e.Location = u.Scheme + "://" + u.Host
	}
	return e
}

// withoutRedirects returns a copy of hc that hands every 3xx back to the caller instead of
// following it. The copy shares hc's transport, so connections are pooled as before.
func withoutRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}
