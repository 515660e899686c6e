package xsoarauditreceiver // import "github.com/secaudit/otelcol-audit/receiver/xsoarauditreceiver"

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	headerAuthID    = "x-xdr-auth-id"
	headerNonce     = "x-xdr-nonce"
	headerTimestamp = "x-xdr-timestamp"

	// nonceLength is what the vendor's own examples send; the server's rules are not published.
	nonceLength   = 64
	nonceAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
)

// signer adds the Cortex public API credentials to a request.
type signer struct {
	advanced bool
	keyID    string
	key      string
}

func newSigner(c *Config) signer {
	return signer{
		advanced: strings.EqualFold(c.SecurityLevel, securityAdvanced),
		keyID:    strings.TrimSpace(c.APIKeyID),
		key:      strings.TrimSpace(string(c.APIKey)),
	}
}

// sign sets the auth headers. It must run once per attempt: an advanced key's signature covers
// a nonce and the current time, so a resent request needs a new one.
func (s signer) sign(h http.Header, now time.Time) {
	h.Set(headerAuthID, s.keyID)
	if !s.advanced {
		// A standard key is sent as is, without "Bearer".
		h.Set("Authorization", s.key)
		return
	}
	nonce := newNonce()
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	h.Set(headerNonce, nonce)
	h.Set(headerTimestamp, ts)
	h.Set("Authorization", advancedSignature(s.key, nonce, ts))
}

// advancedSignature is the lowercase hex SHA-256 of key, nonce and timestamp, concatenated.
func advancedSignature(key, nonce, ts string) string {
	sum := sha256.Sum256([]byte(key + nonce + ts))
	return hex.EncodeToString(sum[:])
}

// newNonce returns nonceLength characters drawn uniformly from [A-Za-z0-9] with crypto/rand.
func newNonce() string {
	// 62 letters: bytes at or above 248 (= 4 × 62) are rejected so that every letter is equally likely.
	const limit = 256 - 256%len(nonceAlphabet)
	out := make([]byte, 0, nonceLength)
	var buf [nonceLength + nonceLength/4]byte
	for len(out) < nonceLength {
		_, _ = rand.Read(buf[:]) // never fails: crypto/rand aborts the program rather than return an error
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, nonceAlphabet[int(b)%len(nonceAlphabet)])
				if len(out) == nonceLength {
					break
				}
			}
		}
	}
	return string(out)
}
