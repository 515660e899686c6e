package xsoarauditreceiver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdvancedSignatureVector(t *testing.T) {
	// Computed independently: sha256("mykey" + "a"×64 + "1744456299142"), lowercase hex.
	assert.Equal(t, "5d725a92ce0465e85e466e1c2f859aa6ab012ceef18763a07a3c48989129918b",
		advancedSignature("mykey", strings.Repeat("a", 64), "1744456299142"))
}

func TestNonce(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		n := newNonce()
		require.Len(t, n, nonceLength)
		for _, c := range n {
			require.True(t, strings.ContainsRune(nonceAlphabet, c), "character %q", c)
			counts[c]++
		}
		require.False(t, seen[n], "nonce repeated")
		seen[n] = true
	}
	// 128,000 draws over 62 letters: every letter shows up, none is wildly over-represented.
	assert.Len(t, counts, len(nonceAlphabet))
	for c, n := range counts {
		assert.InDelta(t, 2000*nonceLength/len(nonceAlphabet), n, 400, "letter %q", c)
	}
}

func TestSignAdvanced(t *testing.T) {
	s := signer{advanced: true, keyID: "17", key: "mykey"}
	now := time.UnixMilli(1744456299142)
	h1, h2 := http.Header{}, http.Header{}
	s.sign(h1, now)
	s.sign(h2, now)

	assert.Equal(t, "17", h1.Get("x-xdr-auth-id"))
	assert.Equal(t, "1744456299142", h1.Get("x-xdr-timestamp"), "epoch milliseconds")
	nonce := h1.Get("x-xdr-nonce")
	require.Len(t, nonce, nonceLength)
	assert.Equal(t, advancedSignature("mykey", nonce, "1744456299142"), h1.Get("Authorization"))
	assert.NotContains(t, h1.Get("Authorization"), "mykey")
	assert.NotEqual(t, nonce, h2.Get("x-xdr-nonce"), "each request gets its own nonce")
	assert.NotEqual(t, h1.Get("Authorization"), h2.Get("Authorization"))
}

func TestSignStandard(t *testing.T) {
	cfg := &Config{APIKeyID: " 17 ", APIKey: "mykey", SecurityLevel: "Standard"}
	h := http.Header{}
	newSigner(cfg).sign(h, time.Now())
	assert.Equal(t, http.Header{
		"X-Xdr-Auth-Id": {"17"},
		"Authorization": {"mykey"},
	}, h, "the key as is, no Bearer, no nonce or timestamp")
}

func TestSignerFromConfig(t *testing.T) {
	for level, advanced := range map[string]bool{"advanced": true, "ADVANCED": true, "standard": false} {
		s := newSigner(&Config{SecurityLevel: level, APIKeyID: "1", APIKey: "k"})
		assert.Equal(t, advanced, s.advanced, level)
	}
}
