package httpapi

import (
	"errors"
	"net/url"
	"os"
	"strings"
)

// ErrProxyCredentials refuses a proxy_url with credentials: proxy_url is a plain string, so
// `otelcol-audit print-config` prints it, password included, where it prints every
// configopaque value as [REDACTED].
var ErrProxyCredentials = errors.New("proxy_url must not hold a user name or password (user:password@): " +
	"print-config would show them. Leave proxy_url unset and give the proxy, credentials included, " +
	"in the HTTPS_PROXY environment variable of the collector (NO_PROXY lists the hosts to reach directly)")

// CheckProxyURL returns ErrProxyCredentials when proxyURL holds user information.
func CheckProxyURL(proxyURL string) error {
	if _, ok := userinfo(proxyURL); ok {
		return ErrProxyCredentials
	}
	return nil
}

// proxyEnv are the variables Go's HTTP client takes a proxy from when proxy_url is unset.
var proxyEnv = []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"}

// ProxyPasswords returns the proxy passwords this process may send, as written and
// percent-decoded: the one in proxyURL and those in the proxy environment variables. Go's
// client quotes a malformed proxy variable whole in its errors.
func ProxyPasswords(proxyURL string) []string {
	var out []string
	for _, raw := range append([]string{proxyURL}, envValues(proxyEnv)...) {
		info, ok := userinfo(raw)
		if !ok {
			continue
		}
		// Without a colon, the user name is the credential (a token).
		user, password, hasPassword := strings.Cut(info, ":")
		if !hasPassword {
			password = user
		}
		out = append(out, password)
		if decoded, err := url.PathUnescape(password); err == nil && decoded != password {
			out = append(out, decoded)
		}
	}
	return out
}

func envValues(names []string) []string {
	var out []string
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// userinfo returns what comes before the last @ of a proxy URL's authority. It reads the text
// itself rather than a parsed URL: a password with an unescaped / or # breaks parsing, and a
// proxy URL has no path in which an @ could stand for anything else.
func userinfo(proxyURL string) (string, bool) {
	rest := proxyURL
	if _, after, ok := strings.Cut(rest, "://"); ok {
		rest = after
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return "", false
	}
	return rest[:at], true
}
