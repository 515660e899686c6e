package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"sync"
	"time"
)

// tokenStore remembers issued CyberArk access tokens and when they expire (simulator clock).
// The token text is JWT-shaped like the real one, but the server only ever looks it up here:
// clients must treat it as opaque.
type tokenStore struct {
	mu     sync.Mutex
	expiry map[string]time.Time
}

func newTokenStore() *tokenStore { return &tokenStore{expiry: map[string]time.Time{}} }

func (ts *tokenStore) issue(now time.Time, ttl time.Duration, clientID, tenant string) string {
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	var sig [32]byte
	_, _ = rand.Read(sig[:])
	claims, _ := json.Marshal(map[string]any{
		"sub":       clientID,
		"aud":       "cyberark.isp.audit",
		"tenant_id": tenant,
		"scope":     CyberArkScope,
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		"jti":       base64.RawURLEncoding.EncodeToString(jti[:]),
	})
	enc := base64.RawURLEncoding
	tok := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString(claims) + "." + enc.EncodeToString(sig[:])

	ts.mu.Lock()
	defer ts.mu.Unlock()
	for t, exp := range ts.expiry { // forget expired tokens so the map stays small
		if !now.Before(exp) {
			delete(ts.expiry, t)
		}
	}
	ts.expiry[tok] = now.Add(ttl)
	return tok
}

// valid reports whether tok was issued, is not revoked and has not expired at now.
func (ts *tokenStore) valid(tok string, now time.Time) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.expiry[tok]
	return ok && now.Before(exp)
}

// revokeAll forgets every token and returns how many were still valid at now.
func (ts *tokenStore) revokeAll(now time.Time) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := ts.countValid(now)
	clear(ts.expiry)
	return n
}

func (ts *tokenStore) active(now time.Time) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.countValid(now)
}

// countValid counts the tokens valid at now; the caller holds mu.
func (ts *tokenStore) countValid(now time.Time) int {
	n := 0
	for _, exp := range ts.expiry {
		if now.Before(exp) {
			n++
		}
	}
	return n
}
