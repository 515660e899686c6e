// Package hartest checks that a document is a valid HTTP Archive: every object and field that
// the HAR 1.2 specification (http://www.softwareishard.com/blog/har-12-spec/) requires, with
// its type. It reads the document as plain JSON, not through the types that wrote it.
package hartest // import "github.com/secaudit/otelcol-audit/internal/hartrace/hartest"

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Entry is what tests compare of one entry.
type Entry struct {
	Method, URL, Comment string
	Status               int
	Request, Response    map[string]any
}

// Check fails t with every way data departs from HAR 1.2, and returns its entries.
func Check(t testing.TB, data []byte) []Entry {
	t.Helper()
	entries, problems := Problems(data)
	for _, p := range problems {
		t.Errorf("not valid HAR 1.2: %s", p)
	}
	return entries
}

// Problems returns the entries of data, and every way it departs from HAR 1.2.
func Problems(data []byte) ([]Entry, []string) {
	c := &checker{}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, []string{"not JSON: " + err.Error()}
	}
	root, _ := doc.(map[string]any)
	log := c.object(root["log"], "log", "the document")
	if log == nil {
		return nil, c.problems
	}
	if v := c.str(log, "version", "log"); v != "1.2" {
		c.fail("log.version is %q, want \"1.2\"", v)
	}
	creator := c.object(log["creator"], "creator", "log")
	if creator != nil {
		c.str(creator, "name", "log.creator")
		c.str(creator, "version", "log.creator")
	}
	var out []Entry
	for i, raw := range c.array(log, "entries", "log") {
		at := fmt.Sprintf("log.entries[%d]", i)
		e, _ := raw.(map[string]any)
		if e == nil {
			c.fail("%s is not an object", at)
			continue
		}
		out = append(out, c.entry(e, at))
	}
	return out, c.problems
}

type checker struct{ problems []string }

func (c *checker) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checker) entry(e map[string]any, at string) Entry {
	started := c.str(e, "startedDateTime", at)
	if _, err := time.Parse(time.RFC3339Nano, started); err != nil {
		c.fail("%s.startedDateTime %q is not ISO 8601 with a zone: %v", at, started, err)
	}
	total := c.num(e, "time", at)
	req := c.object(e["request"], "request", at)
	resp := c.object(e["response"], "response", at)
	c.object(e["cache"], "cache", at)
	if tm := c.object(e["timings"], "timings", at); tm != nil {
		sum := 0.0
		for _, k := range []string{"send", "wait", "receive"} {
			v := c.num(tm, k, at+".timings")
			if v < 0 {
				c.fail("%s.timings.%s is %v: send, wait and receive cannot be -1", at, k, v)
			}
			sum += v
		}
		for _, k := range []string{"blocked", "dns", "connect", "ssl"} {
			if _, ok := tm[k]; ok {
				if v := c.num(tm, k, at+".timings"); v < -1 {
					c.fail("%s.timings.%s is %v", at, k, v)
				} else if v > 0 && k != "ssl" { // ssl is part of connect
					sum += v
				}
			}
		}
		if math.Abs(sum-total) > 0.01 {
			c.fail("%s.time is %v, not the sum of its timings %v", at, total, sum)
		}
	}
	out := Entry{Request: req, Response: resp}
	out.Comment, _ = e["comment"].(string)
	if req != nil {
		at := at + ".request"
		out.Method, out.URL = c.str(req, "method", at), c.str(req, "url", at)
		if u, err := url.Parse(out.URL); err != nil || !u.IsAbs() {
			c.fail("%s.url %q is not an absolute URL", at, out.URL)
		}
		c.str(req, "httpVersion", at)
		c.pairs(req, "cookies", at)
		c.pairs(req, "headers", at)
		c.pairs(req, "queryString", at)
		c.num(req, "headersSize", at)
		if size := c.num(req, "bodySize", at); size > 0 || req["postData"] != nil {
			if pd := c.object(req["postData"], "postData", at); pd != nil {
				c.str(pd, "mimeType", at+".postData")
				c.str(pd, "text", at+".postData")
			}
		}
	}
	if resp != nil {
		at := at + ".response"
		out.Status = int(c.num(resp, "status", at))
		c.str(resp, "statusText", at)
		c.str(resp, "httpVersion", at)
		c.pairs(resp, "cookies", at)
		c.pairs(resp, "headers", at)
		if content := c.object(resp["content"], "content", at); content != nil {
			c.num(content, "size", at+".content")
			c.str(content, "mimeType", at+".content")
			c.str(content, "text", at+".content")
		}
		c.str(resp, "redirectURL", at)
		c.num(resp, "headersSize", at)
		c.num(resp, "bodySize", at)
	}
	return out
}

func (c *checker) object(v any, name, at string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail("%s.%s is missing or not an object", at, name)
	}
	return m
}

func (c *checker) str(m map[string]any, key, at string) string {
	s, ok := m[key].(string)
	if !ok {
		c.fail("%s.%s is missing or not a string", at, key)
	}
	return s
}

func (c *checker) num(m map[string]any, key, at string) float64 {
	n, ok := m[key].(float64)
	if !ok {
		c.fail("%s.%s is missing or not a number", at, key)
	}
	return n
}

func (c *checker) array(m map[string]any, key, at string) []any {
	a, ok := m[key].([]any)
	if !ok {
		c.fail("%s.%s is missing or not an array", at, key)
	}
	return a
}

// pairs checks an array of objects with a name and a value (cookies, headers, queryString).
func (c *checker) pairs(m map[string]any, key, at string) {
	for i, raw := range c.array(m, key, at) {
		p := c.object(raw, fmt.Sprintf("%s[%d]", key, i), at)
		if p != nil {
			c.str(p, "name", strings.Join([]string{at, key}, "."))
			c.str(p, "value", strings.Join([]string{at, key}, "."))
		}
	}
}

// Header returns the values of the header named name (in any case) in a request or response.
func Header(msg map[string]any, name string) []string {
	var out []string
	hs, _ := msg["headers"].([]any)
	for _, raw := range hs {
		h, _ := raw.(map[string]any)
		if n, _ := h["name"].(string); strings.EqualFold(n, name) {
			v, _ := h["value"].(string)
			out = append(out, v)
		}
	}
	return out
}
