# lfevents: make test (everything CI checks), make bench (the comparison), make fuzz.
GO        ?= go
# Where `go install` puts benchstat: GOBIN when set (also by `go env -w`), else the
# first GOPATH entry's bin.
GOBIN     := $(or $(shell $(GO) env GOBIN),$(firstword $(subst :, ,$(shell $(GO) env GOPATH)))/bin)
BENCHSTAT := $(GOBIN)/benchstat
FUZZTIME  ?= 30s
# Benchmark run knobs: make bench COUNT=10 BENCHTIME=1s
COUNT     ?= 6
BENCHTIME ?= 200ms
BENCHOUT  ?= bench/out
PKGS      := ./...

.PHONY: all test vet race norace benchsmoke plot-test evload-smoke e2e bench bench-compare fuzz tools fmt

all: test

## test: gofmt and vet, race-enabled tests (including every fuzz seed corpus and the README
## checks), the same tests without the race detector, each benchmark once (quietly), the chart
## module's tests, short load runs, and the viewer in headless Chromium.
test: vet race norace benchsmoke plot-test evload-smoke e2e

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

## norace: the tests again without the race detector. The ring publishes with a release
## store (internal/atomicx), an assembly MOV on amd64 and STLR on arm64, which only a build
## without -race uses (with -race it is sync/atomic's store): the stress tests must pass
## with the ordering that production builds have.
norace:
	$(GO) test -count=1 -timeout 10m $(PKGS)

## benchsmoke: every benchmark once (they must not fail); prints their output only on failure.
benchsmoke:
	@out=$$(mktemp); \
	  if $(GO) test -run '^$$' -bench . -benchtime=1x -count=1 -timeout 10m $(PKGS) >$$out 2>&1; then \
	    echo "benchsmoke: $$(grep -c '^Benchmark' $$out) benchmarks ran once, all passed"; rm -f $$out; \
	  else cat $$out; rm -f $$out; exit 1; fi

## plot-test: vet and test the nested module that draws the charts of make bench.
plot-test:
	$(GO) -C bench/plot vet ./...
	$(GO) -C bench/plot test -count=1 ./...

## e2e: the live viewer in headless Chromium (own module; skipped without chromium unless CI is set,
## and then a notice says so). -mod=mod: a dependency new to the library is added to e2e/go.sum
## on the fly.
CHROMIUM ?= /usr/bin/chromium
e2e:
	@if [ -z "$$CI" ] && ! command -v "$(CHROMIUM)" >/dev/null 2>&1; then \
	  echo "e2e: no chromium at $(CHROMIUM): the browser test will be skipped (apt-get install -y chromium, or set CHROMIUM)"; fi
	$(GO) -C e2e vet -mod=mod ./...
	$(GO) -C e2e test -mod=mod -count=1 -timeout 5m ./...

## evload-smoke: short flat-out load runs against both implementations; fails on any broken invariant.
evload-smoke:
	$(GO) run ./cmd/evload -quiet -preset stress -impl lockfree -duration 3s -producers 2 -streams 4 -stream-life 500ms -reload 500ms
	$(GO) run ./cmd/evload -quiet -preset stress -impl baseline -duration 1s -producers 2 -streams 2

tools: $(BENCHSTAT)

# benchstat pinned: this version builds with go 1.26.
BENCHSTAT_VERSION ?= v0.0.0-20260908200009-22c9c6c9d4da
$(BENCHSTAT):
	$(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

## bench: the side-by-side comparison (lock-free vs one mutex vs the reference design vs
## floors). One progress line per scenario, then a short summary; raw output, full benchstat
## tables and two SVG charts go to $(BENCHOUT)/ (bench/run.sh says which file holds what).
## Ingest runs exactly INGEST_EVENTS events per run, INGEST_COUNT runs (they are short, so
## more of them); the paced ingest PACED_EVENTS per run; memory MEMTIME per run.
INGEST_EVENTS ?= 1000000
INGEST_COUNT  ?= 10
PACED_EVENTS  ?= 200000
PACED_COUNT   ?= 8
MEMTIME       ?= 3x
bench: $(BENCHSTAT)
	@GO=$(GO) BENCHSTAT=$(BENCHSTAT) OUT=$(BENCHOUT) INGEST_EVENTS=$(INGEST_EVENTS) \
	  INGEST_COUNT=$(INGEST_COUNT) PACED_EVENTS=$(PACED_EVENTS) PACED_COUNT=$(PACED_COUNT) \
	  COUNT=$(COUNT) BENCHTIME=$(BENCHTIME) MEMTIME=$(MEMTIME) bench/run.sh

## bench-compare: a short benchmark set of BASE (a git ref, default the parent commit) against
## the working tree, interleaved, SAMPLES samples each; benchstat old vs new and a verdict
## (bench/compare.sh). Results in $(BENCHOUT)/compare/.
BASE    ?= HEAD~1
SAMPLES ?= 10
bench-compare: $(BENCHSTAT)
	@GO=$(GO) BENCHSTAT=$(BENCHSTAT) OUT=$(BENCHOUT) BASE=$(BASE) SAMPLES=$(SAMPLES) bench/compare.sh

## fuzz: run every fuzz target for FUZZTIME each (FUZZPAR at a time, -cpu FUZZCPU);
## fails only on a real finding (see fuzz/run.sh, docs/fuzzing.md).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) fuzz/run.sh $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
