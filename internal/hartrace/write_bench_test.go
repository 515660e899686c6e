package hartrace

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkWriteLongRead writes the trace of a long XSOAR read: pages of 100 KB, each request
// with its own nonce and signature, all of which the trace learns and hides everywhere.
func BenchmarkWriteLongRead(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			rec := New("t", "1", 0)
			page := bytes.Repeat([]byte(`{"AUDIT_ID":100001,"AUDIT_DESCRIPTION":"a user logged in from 192.0.2.1"},`), 100<<10/76)
			for i := range n {
				h := http.Header{}
				h.Set("Authorization", fmt.Sprintf("%064x", i))
				h.Set("X-Xdr-Nonce", fmt.Sprintf("%064d", i))
				e := &exchange{started: time.Now(), method: "POST", url: "https://api-x.example/public_api/v1/audits/management_logs", proto: "HTTP/1.1", header: h}
				e.body.add([]byte(`{"request_data":{"search_from":0,"search_to":100}}`), rec.limit)
				e.status, e.respProto, e.statusLn, e.respHeader = 200, "HTTP/1.1", "200 OK", http.Header{"Content-Type": {"application/json"}}
				e.respBody.add(page, rec.limit)
				rec.exchanges = append(rec.exchanges, e)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := rec.Write(io.Discard, strings.ToUpper); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
