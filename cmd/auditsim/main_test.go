package main

import (
	"strings"
	"testing"

	"github.com/secaudit/otelcol-audit/internal/testsupport/simulator"
)

func TestBuildServesOneOrManyTenants(t *testing.T) {
	one, closeOne, err := build(simulator.Options{Seed: 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeOne() }()
	if len(one) != 1 || one[0].Options().ClientSecret != simulator.DefaultClientSecret {
		t.Errorf("one tenant keeps the credentials as given, got %q", one[0].Options().ClientSecret)
	}
	many, closeMany, err := build(simulator.Options{Seed: 1, Listen: "127.0.0.10:0"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeMany() }()
	for n, s := range many {
		host := []string{"127.0.0.10:", "127.0.0.11:", "127.0.0.12:"}[n]
		if !strings.HasPrefix(s.Addr(), host) {
			t.Errorf("tenant %d on %s, want %s…", n+1, s.Addr(), host)
		}
	}
	if _, _, err := build(simulator.Options{}, 0); err == nil {
		t.Error("--tenants 0: no error")
	}
}

func TestAgentsBackfillFlag(t *testing.T) {
	o, _, err := parseArgs([]string{"--xsoar-backfill", "5", "--xsoar-agents-backfill", "7", "--rate", "0"})
	if err != nil {
		t.Fatal(err)
	}
	if o.XSOARBackfill != 5 || o.XSOARAgentsBackfill != 7 {
		t.Fatalf("backfills %d, %d", o.XSOARBackfill, o.XSOARAgentsBackfill)
	}
	sims, closeAll, err := build(o, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAll() }()
	if n := sims[0].Stats().Records[simulator.XSOARAgents]; n != 7 {
		t.Fatalf("%d agents' reports generated, want 7", n)
	}
	if _, c, err := parseArgs([]string{"--xsoar-rate-limit", "0", "stray"}); err == nil || c.help {
		t.Fatal("a stray argument is an error")
	}
}
