package simulator

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStoreInsertKeepsTimeThenArrivalOrder(t *testing.T) {
	st := newStore()
	rng := rand.New(rand.NewPCG(1, 2))
	var ref []record // every record inserted, with its seq, to sort independently
	for range 200 {
		n := 1 + rng.IntN(20)
		batch := make([]record, n)
		for i := range batch {
			batch[i].ts = rng.Int64N(500) // many ties, many inserts behind the end
		}
		st.insert(batch)
		ref = append(ref, batch...) // insert assigned seq in place
	}
	slices.SortFunc(ref, func(a, b record) int {
		if a.ts != b.ts {
			return int(a.ts - b.ts)
		}
		return int(a.seq) - int(b.seq)
	})
	st.read(func(recs []record) {
		if len(recs) != len(ref) {
			t.Fatalf("%d records stored, want %d", len(recs), len(ref))
		}
		for i := range recs {
			if recs[i].ts != ref[i].ts || recs[i].seq != ref[i].seq {
				t.Fatalf("position %d holds (%d,%d), want (%d,%d)", i, recs[i].ts, recs[i].seq, ref[i].ts, ref[i].seq)
			}
		}
		for _, ts := range []int64{-1, 0, 250, 499, 500} {
			lo, hi := lowerBound(recs, ts), upperBound(recs, ts)
			for i := range recs {
				if (i < lo) != (recs[i].ts < ts) || (i < hi) != (recs[i].ts <= ts) {
					t.Fatalf("bounds of %d wrong at %d", ts, i)
				}
			}
		}
		k := recs[len(recs)/2]
		if i := afterKey(recs, k.ts, k.seq); recs[i-1].seq != k.seq {
			t.Fatal("afterKey does not land right after its key")
		}
		if i := atOrAfterKey(recs, k.ts, k.seq); recs[i].seq != k.seq {
			t.Fatal("atOrAfterKey does not land on its key")
		}
	})
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "tab\tnewline\nreturn\r", "\x00\x01\x1f",
		"<script>&amp;</script>", "héllo wörld ✓ 日本", "bad \xff utf8", "\u2028 line sep",
	} {
		want, _ := json.Marshal(s)
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q rendered as invalid JSON %s", s, got)
		}
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q round-trips as %q, encoding/json gives %q", s, back, wantBack)
		}
	}
}

func TestGeneratedRecordShapes(t *testing.T) {
	vc := newVocab()
	ca := newGenerator(CyberArk, 9, 1, vc, "tenant-1", "7")
	var idp, pam, extra, nullEmpty, quoteEmpty, noTenant int
	for i := range 3000 {
		rec := ca.make(int64(1_700_000_000_000+i), 0)
		var m map[string]any
		if err := json.Unmarshal(rec.raw, &m); err != nil {
			t.Fatalf("invalid JSON %s", rec.raw)
		}
		if m["uuid"] != rec.id || m["timestamp"].(float64) != float64(rec.ts) {
			t.Fatalf("id/time mismatch in %s", rec.raw)
		}
		if _, ok := m["tenantId"]; !ok {
			noTenant++
		}
		if _, ok := m["cloudWorkspacesAndRoles"].([]any); !ok || m["cloudIdentities"] != nil {
			t.Fatalf("cloud fields wrong in %s", rec.raw)
		}
		switch m["applicationCode"] {
		case "IDP":
			idp++
			cd := m["customData"].(map[string]any)
			if _, ok := cd["geoip_latitude"].(float64); !ok {
				t.Fatalf("IDP customData without a float latitude: %s", rec.raw)
			}
			if _, ok := cd["success"].(bool); !ok {
				t.Fatalf("IDP customData without a boolean: %s", rec.raw)
			}
			if m["command"] == nil {
				nullEmpty++
			}
		case "PAM":
			pam++
			if _, ok := m["customData"].(map[string]any)["PAM"].(map[string]any); !ok {
				t.Fatalf("PAM customData not nested: %s", rec.raw)
			}
			if m["source"] != "PVWA" && m["source"] != "PVWAAPP" {
				t.Fatalf("PAM source %v", m["source"])
			}
			if m["targetAccount"] == "" {
				quoteEmpty++
			}
		}
		if _, ok := m["correlationId"]; ok {
			extra++
		} else if _, ok := m["eventSchemaVersion"]; ok {
			extra++
		}
	}
	if idp < 500 || pam < 500 || extra == 0 || nullEmpty == 0 || quoteEmpty == 0 || noTenant == 0 {
		t.Fatalf("mix: idp %d pam %d extra %d null-empties %d quote-empties %d without tenant %d",
			idp, pam, extra, nullEmpty, quoteEmpty, noTenant)
	}

	xs := newGenerator(XSOAR, 9, 2, vc, "", "7")
	var full, short, assetObj, unknownSev, nullSession int
	for i := range 3000 {
		rec := xs.make(int64(1_700_000_000_000+i), int64(500+i))
		var m map[string]any
		if err := json.Unmarshal(rec.raw, &m); err != nil {
			t.Fatalf("invalid JSON %s", rec.raw)
		}
		if m["AUDIT_ID"].(float64) != float64(500+i) || m["AUDIT_INSERT_TIME"].(float64) != float64(rec.ts) {
			t.Fatalf("id/time mismatch in %s", rec.raw)
		}
		switch len(m) {
		case 21:
			full++
			if _, ok := m["AUDIT_USER_ROLES"].([]any); !ok {
				t.Fatalf("roles not an array: %s", rec.raw)
			}
			if m["AUDIT_SEVERITY"] == "SEV_090_UNKNOWN" {
				unknownSev++
			}
		case 14:
			short++
		default:
			t.Fatalf("%d fields: %s", len(m), rec.raw)
		}
		if _, ok := m["AUDIT_ASSET_JSON"].(map[string]any); ok {
			assetObj++
		} else if m["AUDIT_ASSET_JSON"] != "{}" {
			t.Fatalf("AUDIT_ASSET_JSON %v", m["AUDIT_ASSET_JSON"])
		}
		if m["AUDIT_SESSION_ID"] == nil {
			nullSession++
		} else if sid := m["AUDIT_SESSION_ID"].(float64); sid < 1e11 || sid >= 1e12 {
			t.Fatalf("session id %v is not 12 digits", sid)
		}
	}
	if full < short*5 || short == 0 || assetObj == 0 || unknownSev == 0 || nullSession == 0 {
		t.Fatalf("mix: full %d short %d asset objects %d unknown severity %d null sessions %d",
			full, short, assetObj, unknownSev, nullSession)
	}
}
