package simulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/secaudit/otelcol-audit/internal/jsonpdata"
)

// This file holds the agents' audit reports of the Cortex tenant (XDR and XSIAM): POST
// /public_api/v1/audits/agents_reports, with the management log's authentication, request
// shape, paging limits, result window and rate limit, and records of its own.

// Key slots of agents' reports, named after the request filter fields.
const (
	arKeyEndpointID = iota
	arKeyEndpointName
	arKeyType
	arKeySubType
	arKeyResult
	arKeyDomain
	arKeyVersion
	arKeyCategory
)

// arFilterKeys are the filter fields the vendor documents for this endpoint, besides timestamp.
var arFilterKeys = map[string]int{
	"endpoint_id":   arKeyEndpointID,
	"endpoint_name": arKeyEndpointName,
	"type":          arKeyType,
	"sub_type":      arKeySubType,
	"result":        arKeyResult,
	"domain":        arKeyDomain,
	"xdr_version":   arKeyVersion,
	"category":      arKeyCategory,
}

// agentsTrail: category is documented with the values status, monitoring and audit while the
// records spell Status, Audit: the filter matches it in any letter case.
var agentsTrail = xsTrail{
	vendor: XSOARAgents, endpoint: EndpointAgentsReports, filterKeys: arFilterKeys,
	folded: map[int]bool{arKeyCategory: true},
}

// handleAgentsReports implements POST /public_api/v1/audits/agents_reports.
func (s *Simulator) handleAgentsReports(r *http.Request) response {
	return s.handleTrail(r, agentsTrail)
}

type arTemplate struct {
	category, typ, subtype string
	results                []string // "" is null
	reason                 string   // the reason of a "Fail"
	description            string   // %[1]s the endpoint name, %[2]s the agent version
}

// arTemplates follow the public sample (Agent Service / Agent Status / Kernel Driver
// Initialization, Audit / Installation / Install, Status / Agent Status / Fully Protected) and
// the installs, upgrades, policy and content updates the vendor names.
var arTemplates = []arTemplate{
	{"Audit", "Installation", "Install", []string{"Success"}, "", "XDR Agent version %[2]s installed on %[1]s"},
	{"Audit", "Installation", "Uninstall", []string{"Success", "Fail"}, "Uninstall password required", "XDR Agent uninstalled from %[1]s"},
	{"Audit", "Upgrade", "Upgrade", []string{"Success", "Success", "Fail"}, "Not enough disk space", "XDR Agent upgraded to %[2]s on %[1]s"},
	{"Audit", "Policy", "Policy Update", []string{"Success", "Success", "Success", "Fail"}, "Policy download timed out", "Security policy applied on %[1]s"},
	{"Audit", "Content Update", "Content Update", []string{"Success", "Success", "Fail"}, "Download interrupted", "Content update installed on %[1]s"},
	{"Status", "Agent Status", "Fully Protected", []string{""}, "", "%[1]s is fully protected"},
	{"Status", "Agent Status", "Partially Protected", []string{""}, "", "%[1]s is partially protected"},
	{"Agent Service", "Agent Status", "Kernel Driver Initialization", []string{""}, "", "Kernel driver initialization failed on %[1]s"},
	{"Monitoring", "Agent Service", "Service Restart", []string{"Success", ""}, "", "Cortex XDR service restarted on %[1]s"},
}

// arTemplateIndex weights the templates: mostly status reports and content updates.
var arTemplateIndex = []int{0, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6, 7, 8, 8}

type arEndpoint struct{ id, name, domain string }

// arEndpoints is a fleet of endpoints the reports are about, the same in every run.
var arEndpoints = func() []arEndpoint {
	prefixes := []string{"WIN-FIN", "WIN-HR", "MAC-DEV", "LNX-WEB", "SRV-DC", "k8s-node"}
	domains := []string{"", "CORP", "CORP", "WORKGROUP", "cluster.local"}
	out := make([]arEndpoint, 2000)
	for i := range out {
		sum := sha256.Sum256([]byte("endpoint-" + strconv.Itoa(i)))
		p := prefixes[i%len(prefixes)]
		out[i] = arEndpoint{
			id:     hex.EncodeToString(sum[:16]),
			name:   fmt.Sprintf("%s-%04d", p, i),
			domain: domains[i%len(domains)],
		}
	}
	return out
}()

var arVersions = []string{"8.4.1.20311", "8.5.0.13021", "8.5.0.13021", "8.6.0.9120", "7.9.0.14212"}

// agentReport makes one report at ts epoch microseconds; n is its arrival number. Reports
// carry no ID: the record's ID is the hash of its JSON, which is what a client has to go by too.
func (g *generator) agentReport(ts, n int64) record {
	t := &arTemplates[arTemplateIndex[g.rng.IntN(len(arTemplateIndex))]]
	ep := arEndpoints[g.rng.IntN(len(arEndpoints))]
	version := g.pick(arVersions)
	result := g.pick(t.results)
	// The tenant receives the report 0.05 to 3 s after the agent wrote it. The delay follows the
	// arrival number (7919 and 3,000,000 are coprime), so reports made at one microsecond, as a
	// burst makes them, still differ: the ground truth is one ID per report. The newest
	// reports' RECEIVEDTIME may thus lie ahead of the clock; nothing filters on it.
	received := ts + 50_000 + n*7919%3_000_000

	w := &g.w
	w.b = w.b[:0]
	w.open()
	w.key("TIMESTAMP")
	w.b = appendMicros(w.b, ts)
	w.key("RECEIVEDTIME")
	w.b = appendMicros(w.b, received)
	w.str("ENDPOINTID", ep.id)
	w.str("ENDPOINTNAME", ep.name)
	w.str("DOMAIN", ep.domain)
	if g.chance(0.1) { // the older name of the field, as in Palo Alto's own sample
		w.str("TRAPSVERSION", version)
	} else {
		w.str("XDRVERSION", version)
	}
	w.str("CATEGORY", t.category)
	w.str("TYPE", t.typ)
	w.str("SUBTYPE", t.subtype)
	if result == "" {
		w.null("RESULT")
	} else {
		w.str("RESULT", result)
	}
	if result == "Fail" {
		w.str("REASON", t.reason)
	} else {
		w.null("REASON")
	}
	w.str("DESCRIPTION", fmt.Sprintf(t.description, ep.name, version))
	w.close()

	raw := g.ar.add(w.b)
	rec := record{ts: ts, id: ContentID(raw), raw: raw}
	rec.keys[arKeyEndpointID] = g.vocab.code(ep.id)
	rec.keys[arKeyEndpointName] = g.vocab.code(ep.name)
	rec.keys[arKeyType] = g.vocab.code(t.typ)
	rec.keys[arKeySubType] = g.vocab.code(t.subtype)
	rec.keys[arKeyResult] = g.vocab.code(result)
	rec.keys[arKeyDomain] = g.vocab.code(ep.domain)
	rec.keys[arKeyVersion] = g.vocab.code(version)
	rec.keys[arKeyCategory] = g.vocab.code(strings.ToLower(t.category))
	return rec
}

// appendMicros writes epoch microseconds as epoch milliseconds with their fraction, the way the
// API sends TIMESTAMP (1744459200125.463); whole milliseconds without one.
func appendMicros(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1000, 10)
	if frac := us % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return b
}

// ContentID is the ID of a record that has none, an agents' report: the receivers' own
// jsonpdata.ContentID of its JSON, so that the simulator's ground truth and the xsoaraudit
// receiver's log.record.uid can be compared.
func ContentID(raw []byte) string { return jsonpdata.ContentID(raw) }
