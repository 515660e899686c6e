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
# The release version is dist.version of builder-config.yaml, set nowhere else. Both binaries
# report it with the commit they were built from as semver build metadata, 0.1.0+1a2b3c4d5e6f
# (".dirty" when the tree had uncommitted changes).
VERSION       := $(shell sed -n 's/^  version: *//p' builder-config.yaml)
COMMIT        := $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo unknown; exit; }; git diff --quiet HEAD -- 2>/dev/null || c=$$c.dirty; echo $$c)
BUILD_VERSION := $(VERSION)+$(COMMIT)
VERSION_STAMP := $(CURDIR)/_build/version.txt

.PHONY: build run test unit e2e lint generate bench benchstat clean tools
comma := ,

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

# BuildInfo.Version is a literal in the main.go ocb generates, which -ldflags -X cannot reach;
# ocb reads its configuration's keys from the environment too, so dist.version is set there.
$(DIST): $(OCB) builder-config.yaml $(GO_SOURCES) $(VERSION_STAMP)
	env "dist.version=$(BUILD_VERSION)" $(OCB) --config builder-config.yaml
	@ls -l $(DIST)

$(BIN)/auditsim: $(GO_SOURCES)
	$(GO) build -o $@ ./cmd/auditsim

$(BIN)/auditctl: $(GO_SOURCES) $(VERSION_STAMP)
	$(GO) build -ldflags "-X main.version=$(BUILD_VERSION)" -o $@ ./cmd/auditctl

# Rewritten only when the version string changes: a new commit rebuilds what embeds it.
$(VERSION_STAMP): FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = "$(BUILD_VERSION)" ] || echo "$(BUILD_VERSION)" > $@
FORCE:

## run: the main job: the simulator of both vendor APIs and otelcol-audit with file_storage checkpoints.
run: build
	@./testdata/run/run.sh

## test: go vet, unit tests with -race, the end-to-end tests through the built binary (the
## deployment files' tests among them), the alert rules' tests, and test-release (make dist and
## what it ships).
test: build alerts-test
	$(GO) vet ./...
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	OTELCOL_AUDIT_BIN=$(DIST) AUDITSIM_BIN=$(BIN)/auditsim AUDITCTL_BIN=$(BIN)/auditctl $(GO) test -tags e2e -count=1 -timeout $(TEST_TIMEOUT) -v ./e2e/...
	$(MAKE) --no-print-directory test-release

## alerts-test: check the Prometheus alerting rules and run their unit tests with promtool, from
## Debian's prometheus package (installed when promtool is missing; the e2e tests run its server).
.PHONY: alerts-test
alerts-test:
	$(call apt_get,promtool:prometheus)
	promtool check rules deploy/prometheus/audit-alerts.rules.yml
	cd deploy/prometheus && promtool test rules audit-alerts.test.yml

## lint: golangci-lint and actionlint, each at a pinned version.
lint: $(GOLANGCI) $(ACTIONLINT)
	$(GOLANGCI) run ./...
	$(GOLANGCI) run --build-tags e2e,release ./e2e/...
	$(ACTIONLINT)

## generate: regenerate the mdatagen code of each receiver (mdatagen is pinned in internal/tools/go.mod).
generate:
	$(GO) generate ./receiver/...

## bench: the performance table of the README, from one run (about 25 minutes): page conversion
## against json.Unmarshal, then backlogs drained through the built otelcol-audit, three runs of
## each, every run with latency right after the reference drainer (a plain loop of the same API
## requests) on the same backlog, so that throughput is a ratio to what this machine allowed at
## that moment; then one collector with a receiver for each of 100 tenants. Raw output in
## _build/bench.txt, the table (medians, min–max) in _build/bench-table.md; exits non-zero when
## a target is missed.
bench: build
	@mkdir -p $(CURDIR)/_build
	set -o pipefail; $(GO) test -run '^$$' -bench ConvertPage -benchmem -count 5 ./receiver/... | tee $(CURDIR)/_build/bench.txt
	set -o pipefail; OTELCOL_AUDIT_BIN=$(DIST) $(GO) test -tags e2e -run '^$$' -bench Backfill -benchtime 1x -count 3 -timeout 60m ./e2e/ | tee -a $(CURDIR)/_build/bench.txt
	set -o pipefail; OTELCOL_AUDIT_BIN=$(DIST) $(GO) test -tags e2e -run '^$$' -bench Tenants -benchtime 1x -timeout 20m ./e2e/ | tee -a $(CURDIR)/_build/bench.txt
	set -o pipefail; cd internal/tools && $(GO) run ./benchtable $(CURDIR)/_build/bench.txt | tee $(CURDIR)/_build/bench-table.md

## benchstat: compare two bench outputs, e.g. make benchstat OLD=before.txt NEW=_build/bench.txt
benchstat:
	$(GO) tool -modfile=internal/tools/go.mod benchstat $(OLD) $(NEW)

## ---- Release: container image, deb and rpm packages, dist/ (see README, Install) ----

ARCHES        := amd64 arm64
HOST_ARCH     := $(shell $(GO) env GOARCH)
RELEASE       := $(CURDIR)/_build/release
DISTDIR       := $(CURDIR)/dist
ARTIFACT      := otelcol-audit_$(VERSION)_linux
IMAGE         ?= otelcol-audit
IMAGE_ARCHIVE := $(DISTDIR)/otelcol-audit_$(VERSION)_image.oci.tar
SBOM          := $(DISTDIR)/otelcol-audit_$(VERSION)_sbom.cdx.json
K8S_BUNDLE    := $(DISTDIR)/otelcol-audit_$(VERSION)_kubernetes.yaml
DIST_FILES    := $(foreach a,$(ARCHES),$(ARTIFACT)_$(a).tar.gz $(ARTIFACT)_$(a).deb $(ARTIFACT)_$(a).rpm) \
                 $(notdir $(IMAGE_ARCHIVE)) $(notdir $(SBOM)) $(notdir $(K8S_BUNDLE))
# What make sign signs with minisign: the checksums of every artifact, and the image archive
# that make publish pushes. The public key that verifies them is release/minisign.pub.
SIGNED        := $(DISTDIR)/SHA256SUMS $(IMAGE_ARCHIVE)
MINISIGN_PUB  ?= $(CURDIR)/release/minisign.pub
PACKAGING     := $(wildcard packaging/* packaging/*/*) deploy/config.yaml
IMAGE_FILES   := Containerfile deploy/config.yaml deploy/container/passwd deploy/container/group
CA_BUNDLE     := /etc/ssl/certs/ca-certificates.crt
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
TOOL          := $(GO) tool -modfile=$(CURDIR)/internal/tools/go.mod
SUDO          := $(if $(filter 0,$(shell id -u)),,sudo)
# Debian packages the release targets and their tests use, as command:package.
RELEASE_DEPS  := podman:podman runc:runc shellcheck:shellcheck rpm:rpm systemd-analyze:systemd dpkg-deb:dpkg

.PHONY: image dist package sbom verify-dist test-release release-deps publish check-tag release-upload sign verify-signatures test-signing
# Kept when make finishes: pattern rules build them, and make would delete them as intermediate.
.SECONDARY: $(foreach a,$(ARCHES),$(RELEASE)/linux/$(a)/otelcol-audit $(RELEASE)/linux/$(a)/auditctl)

# apt_get: install the Debian packages whose command is missing ($(1): command:package pairs),
# and Debian's CA bundle, which the image ships.
define apt_get
	@missing=; for p in $(1); do command -v $${p%%:*} >/dev/null || missing="$$missing $${p#*:}"; done; \
	[ -f $(CA_BUNDLE) ] || missing="$$missing ca-certificates"; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; fi
endef

release-deps:
	$(call apt_get,$(RELEASE_DEPS))

# The collector for one architecture, compiled as ocb compiles it, from the sources ocb generated
# for $(DIST) (so with the same version); auditctl likewise. Both static (CGO_ENABLED=0).
$(RELEASE)/linux/%/otelcol-audit: $(DIST)
	cd $(CURDIR)/_build && CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags='-s -w' -o $@ .

$(RELEASE)/linux/%/auditctl: $(GO_SOURCES) $(VERSION_STAMP)
	CGO_ENABLED=0 GOOS=linux GOARCH=$* $(GO) build -trimpath -ldflags='-s -w -X main.version=$(BUILD_VERSION)' -o $@ ./cmd/auditctl

# stage_image: the build context of the Containerfile for the architectures $(1); modes are set
# here so that the image's non-root user can read what it needs whatever the umask.
define stage_image
	rm -rf $(RELEASE)/image && mkdir -p $(RELEASE)/image/state
	install -m 0644 $(CA_BUNDLE) $(RELEASE)/image/ca-certificates.crt
	install -m 0644 deploy/container/passwd deploy/container/group deploy/config.yaml $(RELEASE)/image/
	for a in $(1); do install -D -m 0755 $(RELEASE)/linux/$$a/otelcol-audit $(RELEASE)/image/linux/$$a/otelcol-audit; done
endef

## image: the container image for this machine's architecture, $(IMAGE):$(VERSION), with podman
## (installed from Debian's packages when missing), or docker when a docker daemon answers.
image: $(RELEASE)/linux/$(HOST_ARCH)/otelcol-audit $(IMAGE_FILES)
	$(call stage_image,$(HOST_ARCH))
	@tool=podman; command -v podman >/dev/null || ! docker info >/dev/null 2>&1 || tool=docker; \
	if [ $$tool = podman ]; then $(MAKE) --no-print-directory release-deps RELEASE_DEPS=podman:podman; fi; \
	set -x; $$tool build $$([ $$tool = docker ] || echo --layers=false) --platform linux/$(HOST_ARCH) \
	  --build-arg VERSION=$(BUILD_VERSION) -t $(IMAGE):$(VERSION) -f Containerfile $(RELEASE)/image

# The multi-architecture image (an OCI index of linux/amd64 and linux/arm64) as an OCI archive:
# `podman load -i` takes it, and `make publish` pushes this very file. Only COPY instructions, so
# building for another architecture needs no emulation. The local manifest list is removed once
# written: podman 4.3 lists images wrongly while one shares its instances with a tagged image.
$(IMAGE_ARCHIVE): $(foreach a,$(ARCHES),$(RELEASE)/linux/$(a)/otelcol-audit) $(IMAGE_FILES) | release-deps
	$(call stage_image,$(ARCHES))
	podman manifest rm $(IMAGE):$(VERSION)-multiarch >/dev/null 2>&1 || true
	podman build --layers=false --platform $(subst $(eval) ,$(comma),$(addprefix linux/,$(ARCHES))) \
	  --build-arg VERSION=$(BUILD_VERSION) --manifest $(IMAGE):$(VERSION)-multiarch -f Containerfile $(RELEASE)/image
	@mkdir -p $(@D) && rm -f $@
	podman manifest push --all --format oci $(IMAGE):$(VERSION)-multiarch oci-archive:$@:$(IMAGE):$(VERSION)
	podman manifest rm $(IMAGE):$(VERSION)-multiarch
	podman image prune -f --filter label=org.opencontainers.image.title=otelcol-audit >/dev/null # untagged builds of ours only

# deb and rpm with nfpm (pinned in internal/tools/go.mod); packaging/nfpm.yaml reads these variables.
$(DISTDIR)/$(ARTIFACT)_%.deb: $(RELEASE)/linux/%/otelcol-audit $(RELEASE)/linux/%/auditctl $(PACKAGING)
	@mkdir -p $(@D)
	VERSION=$(VERSION) ARCH=$* BINDIR=$(RELEASE)/linux/$* SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
	  $(TOOL) nfpm package --config packaging/nfpm.yaml --packager deb --target $@

$(DISTDIR)/$(ARTIFACT)_%.rpm: $(RELEASE)/linux/%/otelcol-audit $(RELEASE)/linux/%/auditctl $(PACKAGING)
	@mkdir -p $(@D)
	VERSION=$(VERSION) ARCH=$* BINDIR=$(RELEASE)/linux/$* SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) \
	  $(TOOL) nfpm package --config packaging/nfpm.yaml --packager rpm --target $@

$(DISTDIR)/$(ARTIFACT)_%.tar.gz: $(RELEASE)/linux/%/otelcol-audit $(RELEASE)/linux/%/auditctl README.md deploy/config.yaml
	@mkdir -p $(@D)
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) -czf $@ \
	  -C $(RELEASE)/linux/$* otelcol-audit auditctl -C $(CURDIR) README.md -C deploy config.yaml

## package: the deb and rpm packages of both architectures into dist/.
package: $(foreach a,$(ARCHES),$(DISTDIR)/$(ARTIFACT)_$(a).deb $(DISTDIR)/$(ARTIFACT)_$(a).rpm)

## sbom: the CycloneDX SBOM of otelcol-audit (its Go modules) with cyclonedx-gomod, pinned in internal/tools/go.mod.
sbom: $(SBOM)

$(SBOM): $(DIST)
	@mkdir -p $(@D)
	cd $(CURDIR)/_build && GOOS=linux GOARCH=amd64 CGO_ENABLED=0 $(TOOL) cyclonedx-gomod app -json -licenses -output $@ -main . .
	cd internal/tools && $(GO) run ./sbomfix -version $(VERSION) -module github.com/secaudit/otelcol-audit $@

# The Kubernetes manifests of deploy/kubernetes in one file, with the image pinned by the digest
# of the OCI index in the image archive: make publish pushes that index unchanged, so the tag
# can be moved but the manifests run only this build.
$(K8S_BUNDLE): $(IMAGE_ARCHIVE) $(wildcard deploy/kubernetes/*.yaml)
	@mkdir -p $(@D)
	digest=$$(tar -xOf $(IMAGE_ARCHIVE) index.json | grep -o '"digest":"sha256:[0-9a-f]\{64\}"' | head -1 | cut -d'"' -f4); \
	[ -n "$$digest" ] || { echo "no image index digest in $(IMAGE_ARCHIVE)"; exit 1; }; \
	for f in $(sort $(wildcard deploy/kubernetes/*.yaml)); do echo "---"; \
	  sed "s|^\(  *image: ghcr.io/secaudit/otelcol-audit\):$(VERSION)$$|\1:$(VERSION)@$$digest|" $$f; done > $@.tmp
	grep -q '^ *image: ghcr.io/secaudit/otelcol-audit:$(VERSION)@sha256:' $@.tmp || { echo "$@: the image was not pinned"; exit 1; }
	mv $@.tmp $@

## dist: every release artifact into dist/: binaries, deb and rpm of linux/amd64 and linux/arm64,
## the multi-architecture image, the SBOM, and SHA256SUMS over them. The release workflow runs it.
dist: $(DISTDIR)/SHA256SUMS

$(DISTDIR)/SHA256SUMS: $(addprefix $(DISTDIR)/,$(DIST_FILES))
	cd $(DISTDIR) && sha256sum $(DIST_FILES) > SHA256SUMS
	@cat $@

## verify-dist: every artifact is in dist/ and matches SHA256SUMS.
verify-dist:
	cd $(DISTDIR) && sha256sum --strict -c SHA256SUMS
	@cd $(DISTDIR) && for f in $(DIST_FILES); do grep -q "  $$f$$" SHA256SUMS || { echo "SHA256SUMS lacks $$f"; exit 1; }; done

## test-release: make dist, its checksums, and the tests of what it ships: the image run against
## the simulator, the packages inspected and their unit verified. Part of make test.
test-release: build dist release-deps
	$(MAKE) --no-print-directory verify-dist
	$(MAKE) --no-print-directory test-signing
	$(GO) vet -tags 'e2e release' ./e2e/
	OTELCOL_AUDIT_BIN=$(DIST) AUDITSIM_BIN=$(BIN)/auditsim AUDITCTL_BIN=$(BIN)/auditctl \
	OTELCOL_AUDIT_IMAGE_ARCHIVE=$(IMAGE_ARCHIVE) OTELCOL_AUDIT_TARBALL=$(DISTDIR)/$(ARTIFACT)_$(HOST_ARCH).tar.gz \
	OTELCOL_AUDIT_DEB=$(DISTDIR)/$(ARTIFACT)_$(HOST_ARCH).deb OTELCOL_AUDIT_RPM=$(DISTDIR)/$(ARTIFACT)_$(HOST_ARCH).rpm \
	OTELCOL_AUDIT_SBOM=$(SBOM) OTELCOL_AUDIT_K8S_BUNDLE=$(K8S_BUNDLE) \
	  $(GO) test -tags 'e2e release' -count=1 -timeout $(TEST_TIMEOUT) -run '^TestRelease' -v ./e2e/

## sign: sign SHA256SUMS and the image archive with minisign (Debian's package), with the secret
## key in the file MINISIGN_SECRET_KEY (the release workflow writes it from its secrets), into
## FILE.minisig next to each; then verify them with MINISIGN_PUB.
sign: verify-dist
	@[ -n "$(MINISIGN_SECRET_KEY)" ] || { echo "set MINISIGN_SECRET_KEY to the file of the minisign secret key"; exit 1; }
	$(call apt_get,minisign:minisign)
	minisign -S -s "$(MINISIGN_SECRET_KEY)" -t "otelcol-audit $(VERSION)" -m $(SIGNED)
	$(MAKE) --no-print-directory verify-signatures

## verify-signatures: check the minisign signatures of SHA256SUMS and the image archive with
## MINISIGN_PUB (release/minisign.pub), then every artifact against SHA256SUMS.
verify-signatures:
	$(call apt_get,minisign:minisign)
	@[ -s "$(MINISIGN_PUB)" ] || { echo "$(MINISIGN_PUB) is missing: the release's public key must be committed there"; exit 1; }
	for f in $(SIGNED); do minisign -V -q -p "$(MINISIGN_PUB)" -m $$f || exit 1; done
	$(MAKE) --no-print-directory verify-dist

# test-signing: make sign and verify-signatures with a throwaway key pair, and a changed
# checksum file that must fail the verification.
test-signing:
	$(call apt_get,minisign:minisign)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	minisign -G -W -p "$$tmp/test.pub" -s "$$tmp/test.key" >/dev/null && \
	$(MAKE) --no-print-directory sign MINISIGN_SECRET_KEY="$$tmp/test.key" MINISIGN_PUB="$$tmp/test.pub" && \
	cp $(DISTDIR)/SHA256SUMS "$$tmp/SHA256SUMS" && cp $(DISTDIR)/SHA256SUMS.minisig "$$tmp/SHA256SUMS.minisig" && \
	echo "$$(printf '0%.0s' $$(seq 64))  otelcol-audit_forged.deb" >> "$$tmp/SHA256SUMS" && \
	if minisign -V -q -p "$$tmp/test.pub" -m "$$tmp/SHA256SUMS" 2>/dev/null; then echo "a changed SHA256SUMS verified"; exit 1; fi && \
	rm -f $(addsuffix .minisig,$(SIGNED)) && echo "test-signing: signatures made, verified, and a changed file refused"

## check-tag: fail unless TAG (the pushed tag) is v$(VERSION), dist.version of builder-config.yaml.
check-tag:
	@[ "$(TAG)" = "v$(VERSION)" ] || { echo "tag '$(TAG)' is not v$(VERSION), dist.version in builder-config.yaml"; exit 1; }

## publish: push the multi-architecture image archive of make dist to $(REGISTRY_IMAGE):$(VERSION)
## with skopeo, logging in first when REGISTRY_USER and REGISTRY_PASSWORD are set.
publish: verify-dist
	@[ -n "$(REGISTRY_IMAGE)" ] || { echo "set REGISTRY_IMAGE, e.g. ghcr.io/secaudit/otelcol-audit"; exit 1; }
	$(call apt_get,skopeo:skopeo)
	@if [ -n "$$REGISTRY_PASSWORD" ]; then printenv REGISTRY_PASSWORD | \
	  skopeo login --username "$$REGISTRY_USER" --password-stdin $(firstword $(subst /, ,$(REGISTRY_IMAGE))); fi
	skopeo copy --all oci-archive:$(IMAGE_ARCHIVE) docker://$(REGISTRY_IMAGE):$(VERSION)

## release-upload: attach dist/ and its signatures (make sign) to the GitHub release of tag
## v$(VERSION), with the gh CLI.
release-upload: verify-signatures
	gh release create v$(VERSION) --verify-tag --title "otelcol-audit $(VERSION)" --generate-notes \
	  $(addprefix $(DISTDIR)/,$(DIST_FILES)) $(DISTDIR)/SHA256SUMS $(addsuffix .minisig,$(SIGNED))

clean:
	rm -rf _build bin .run dist
