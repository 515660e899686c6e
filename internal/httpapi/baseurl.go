package httpapi

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// BaseURL reads a base URL the way users paste it: with or without "https://", with a trailing
// slash, in upper case. It returns the URL with a lower-case scheme and host and no trailing slash.
// http:// is refused unless the host is a loopback address: the receivers send credentials.
func BaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, errors.New("is empty")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("is not a URL: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("must use https, got %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q uses http://, which would send the credentials in cleartext: use https:// "+
			"(http:// is accepted only for a loopback host such as 127.0.0.1 or localhost, e.g. the simulator)", raw)
	}
	if u.User != nil {
		return nil, errors.New("must not hold credentials; use the credential settings")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q must not have a query or fragment", raw)
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// isLoopback tells whether host (no port) is this machine, where cleartext does not travel.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
