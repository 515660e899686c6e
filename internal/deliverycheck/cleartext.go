package deliverycheck

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"go.opentelemetry.io/collector/confmap"

	"github.com/secaudit/otelcol-audit/internal/httpapi"
)

// checkCleartext warns when exporter id sends the audit records over a network without TLS:
// tls.insecure: true, or an http:// endpoint, to a host that is not this machine. Anyone on the
// path could then read the records and alter them, which the receivers' refusal of http:// for
// the vendor APIs prevents on the way in.
func checkCleartext(conf *confmap.Conf, who, id string) []string {
	prefix := "exporters::" + id + "::"
	insecure := isTrue(conf.Get(prefix + "tls::insecure"))
	var warnings []string
	for _, key := range []string{"endpoint", "logs_endpoint"} {
		endpoint, _ := conf.Get(prefix + key).(string)
		if endpoint == "" {
			continue
		}
		host, scheme := endpointHost(endpoint)
		var why string
		switch {
		case scheme == "unix" || host == "" || httpapi.IsLoopback(host):
			continue
		case scheme == "http":
			why = "an http:// " + key
		case insecure && scheme == "":
			why = "tls.insecure: true"
		default:
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s: exporter %s sends the audit records to %s in cleartext (%s): anyone on the network path can read and alter them; "+
			"use TLS, with tls.ca_file for a backend whose certificate a private CA signed (OTLP_CA_FILE in the shipped configuration)", who, id, host, why))
	}
	return warnings
}

// endpointHost returns the host of an exporter's endpoint, a URL or a gRPC target (host:port,
// dns:///host:port, unix:path), and its scheme in lower case ("" for host:port).
func endpointHost(endpoint string) (host, scheme string) {
	if before, after, ok := strings.Cut(endpoint, "://"); ok {
		scheme = strings.ToLower(before)
		if scheme == "dns" { // dns://[authority]/host:port
			_, target, _ := strings.Cut(after, "/")
			return hostOf(target), ""
		}
		if u, err := url.Parse(endpoint); err == nil {
			return u.Hostname(), scheme
		}
		return "", scheme
	}
	if strings.HasPrefix(endpoint, "unix:") {
		return "", "unix"
	}
	return hostOf(endpoint), ""
}

func hostOf(target string) string {
	if h, _, err := net.SplitHostPort(target); err == nil {
		return h
	}
	return strings.Trim(target, "[]")
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}
