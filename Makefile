# otelcol-audit: every tool is installed here, at a pinned version, into ./bin.
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO            ?= go
BIN           := $(CURDIR)/bin
DIST          := $(CURDIR)/_build/otelcol-audit
OCB_VERSION   := v0.165.0
GOLANGCI_VERSION := v2.15.0
ACTIONLINT_VERSION := v1.7.12
OCB           := $(BIN)/builder-$(OCB_VERSION)
GOLANGCI      := $(BIN)/golangci-lint-$(GOLANGCI_VERSION)
ACTIONLINT    := $(BIN)/actionlint-$(ACTIONLINT_VERSION)
GO_SOURCES    := $(shell find . -name '*.go' -not -path './_build/*' -not -name '*_test.go') go.mod go.sum
TEST_TIMEOUT  ?= 20m

.PHONY: build run test unit e2e lint generate bench benchstat clean tools

# Install a Go tool at a pinned version into ./bin, under a versioned name so that a version
# bump reinstalls it.
define go_install
	@mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install $(1)@$(2)
	mv $(BIN)/$(notdir $(1)) $(3)
endef

$(OCB):
	$(call go_install,go.opentelemetry.io/collector/cmd/builder,$(OCB_VERSION),$@)

$(GOLANGCI):
	$(call go_install,github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_VERSION),$@)

$(ACTIONLINT):
	$(call go_install,github.com/rhysd/actionlint/cmd/actionlint,$(ACTIONLINT_VERSION),$@)

tools: $(OCB) $(GOLANGCI) $(ACTIONLINT)

## build: generate and compile the otelcol-audit distribution with ocb, and the helper commands.
build: $(DIST) $(BIN)/auditsim $(BIN)/auditctl

$(DIST): $(OCB) builder-config.yaml $(GO_SOURCES)
	$(OCB) --config builder-config.yaml
	@ls -l $(DIST)

$(BIN)/auditsim: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/auditsim

$(BIN)/auditctl: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/auditctl

## run: the main job: the simulator of both vendor APIs and otelcol-audit with file_storage checkpoints.
run: build
	@./testdata/run/run.sh

## test: go vet, unit tests with -race, and the end-to-end tests through the built binary.
test: build
	$(GO) vet ./...
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	OTELCOL_AUDIT_BIN=$(DIST) AUDITSIM_BIN=$(BIN)/auditsim $(GO) test -tags e2e -count=1 -timeout $(TEST_TIMEOUT) -v ./e2e/...

## lint: golangci-lint and actionlint, each at a pinned version.
lint: $(GOLANGCI) $(ACTIONLINT)
	$(GOLANGCI) run ./...
	$(GOLANGCI) run --build-tags e2e ./e2e/...
	$(ACTIONLINT)

## generate: regenerate the mdatagen code of each receiver (mdatagen is pinned in internal/tools/go.mod).
generate:
	$(GO) generate ./receiver/...

## bench: the performance table of the README, from one run (about 15 minutes): page conversion
## against json.Unmarshal, then backlogs drained through the built otelcol-audit. Raw output in
## _build/bench.txt, the table in _build/bench-table.md; exits non-zero when a target is missed.
bench: build
	@mkdir -p $(CURDIR)/_build
	set -o pipefail; $(GO) test -run '^$$' -bench ConvertPage -benchmem -count 5 ./receiver/... | tee $(CURDIR)/_build/bench.txt
	set -o pipefail; OTELCOL_AUDIT_BIN=$(DIST) $(GO) test -tags e2e -run '^$$' -bench Backfill -benchtime 1x -timeout 60m ./e2e/ | tee -a $(CURDIR)/_build/bench.txt
	set -o pipefail; cd internal/tools && $(GO) run ./benchtable $(CURDIR)/_build/bench.txt | tee $(CURDIR)/_build/bench-table.md

## benchstat: compare two bench outputs, e.g. make benchstat OLD=before.txt NEW=_build/bench.txt
benchstat:
	$(GO) tool -modfile=internal/tools/go.mod benchstat $(OLD) $(NEW)

clean:
	rm -rf _build bin .run
