package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/secaudit/otelcol-audit/internal/checkpoint"
	"github.com/secaudit/otelcol-audit/internal/confkeys"
	"github.com/secaudit/otelcol-audit/internal/fieldmap"
)

const (
	logTypeManagement    = "management"
	logTypeAgentsReports = "agents_reports"

	productXSOAR  = "xsoar"
	productXDR    = "xdr"
	productXSIAM  = "xsiam"
	productXpanse = "xpanse"
)

// products are the values of the product setting, in the order the messages list them.
var products = []string{productXSOAR, productXDR, productXSIAM, productXpanse}

// logKind is one audit trail of a Cortex tenant: where it is served, how calls and messages
// name it, and how its records become log records. Both trails share the request shape, the
// paging and the reply envelope.
type logKind struct {
	name string // the log_type value
	op   string // names the call in the HTTP client's errors, logs and metrics
	path string // the default request path
	what string // the records, in messages
	// products are those that serve the trail; nil: every product.
	products []string
	// fields are the record's fields that convert reads.
	fields  *fieldmap.Table
	convert func(d *pageDecoder, lr plog.LogRecord, raw []byte, observed, prev time.Time) (checkpoint.Key, int64)
}

var (
	managementKind = &logKind{
		name: logTypeManagement, op: op, path: defaultPath, what: "management audit logs",
		fields: managementFields, convert: (*pageDecoder).convert,
	}
	agentsReportsKind = &logKind{
		name: logTypeAgentsReports, op: "agents_reports", path: agentsReportsPath, what: "agents' audit reports",
		products: []string{productXDR, productXSIAM},
		fields:   agentReportFields,
		convert:  (*pageDecoder).convertAgentReport,
	}
	logKinds = map[string]*logKind{logTypeManagement: managementKind, logTypeAgentsReports: agentsReportsKind}
)

// kindOf returns the trail of a log_type. A configuration built in code without one reads the
// management log, the default.
func kindOf(logType string) *logKind {
	if k, ok := logKinds[strings.ToLower(logType)]; ok {
		return k
	}
	return managementKind
}

// checkLogType validates log_type, product and their agreement with path.
func (c *Config) checkLogType() []error {
	var errs []error
	k, known := logKinds[strings.ToLower(c.LogType)]
	if !known {
		errs = append(errs, fmt.Errorf("log_type must be %q or %q, got %s", logTypeManagement, logTypeAgentsReports, confkeys.Quote(c.LogType)))
	}
	product := strings.ToLower(c.Product)
	switch {
	case product != "" && !slices.Contains(products, product):
		errs = append(errs, fmt.Errorf("product must be one of %s, or left out, got %s", strings.Join(products, ", "), confkeys.Quote(c.Product)))
	case known && product != "" && k.products != nil && !slices.Contains(k.products, product):
		errs = append(errs, fmt.Errorf("log_type %q is served by Cortex %s tenants only, but product is %s",
			k.name, productNames(k.products), confkeys.Quote(c.Product)))
	}
	if !known {
		return errs
	}
	// A path written for the other trail would read its records with this trail's mapping.
	last := canonicalPath(c.Path)
	last = last[strings.LastIndexByte(last, '/')+1:]
	for _, other := range logKinds {
		if other != k && last == other.path[strings.LastIndexByte(other.path, '/')+1:] {
			errs = append(errs, fmt.Errorf("path %q is where the %s are served, but log_type is %q: leave path out (it follows log_type) or set log_type: %s",
				c.Path, other.what, k.name, other.name))
		}
	}
	return errs
}

// productNames lists products as the vendor writes them: "XDR and XSIAM".
func productNames(ps []string) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = productName(p)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func productName(p string) string {
	switch p {
	case productXSOAR:
		return "XSOAR 8"
	case productXpanse:
		return "Xpanse"
	}
	return strings.ToUpper(p)
}

// hostProducts returns the products whose SaaS tenants use host, from the tenant domain: XDR
// and XSIAM tenants live under <tenant>.xdr.<region>.paloaltonetworks.com, XSOAR 8 and Xpanse
// tenants under <tenant>.crtx.<region>.paloaltonetworks.com. The host never tells one product
// of a pair from the other; nil for any other host.
func hostProducts(host string) []string {
	host = strings.ToLower(host)
	if !strings.HasSuffix(host, vendorDomain) {
		return nil
	}
	switch labels := strings.Split(strings.TrimSuffix(host, vendorDomain), "."); {
	case slices.Contains(labels, "xdr"):
		return []string{productXDR, productXSIAM}
	case slices.Contains(labels, "crtx"):
		return []string{productXSOAR, productXpanse}
	}
	return nil
}
