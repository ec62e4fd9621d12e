# lfevents: make test (everything CI checks), make bench (the comparison), make fuzz.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
BENCHSTAT := $(GOBIN)/benchstat
FUZZTIME  ?= 30s
# Benchmark run knobs: make bench COUNT=10 BENCHTIME=1s
COUNT     ?= 6
BENCHTIME ?= 200ms
BENCHOUT  ?= bench/out
PKGS      := ./...

.PHONY: all test vet race benchsmoke evload-smoke bench bench-ci fuzz tools fmt

all: test

## test: vet, race-enabled tests (including every fuzz seed corpus), each benchmark once.
test: vet race benchsmoke evload-smoke

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

benchsmoke:
	$(GO) test -run '^$$' -bench . -benchtime=1x -count=1 -timeout 10m $(PKGS)

## evload-smoke: short flat-out load runs against both implementations; fails on any broken invariant.
evload-smoke:
	$(GO) run ./cmd/evload -quiet -preset stress -impl lockfree -duration 3s -producers 2 -streams 4 -stream-life 500ms -reload 500ms
	$(GO) run ./cmd/evload -quiet -preset stress -impl baseline -duration 1s -producers 2 -streams 2

tools: $(BENCHSTAT)

$(BENCHSTAT):
	$(GO) install golang.org/x/perf/cmd/benchstat@latest

## bench: the side-by-side comparison (lock-free vs baseline vs floors) through benchstat.
## Raw results in $(BENCHOUT)/raw.txt, tables in $(BENCHOUT)/benchstat.txt. Ingest runs
## exactly INGEST_EVENTS events per run (one million), INGEST_COUNT runs (they are short,
## so more of them); memory runs MEMTIME per run.
INGEST_EVENTS ?= 1000000
INGEST_COUNT  ?= 10
MEMTIME       ?= 3x
BENCH_PKGS    ?= ./ring/ ./store/ ./stream/
BENCH_TEST     = $(GO) test -run '^$$' -benchmem -timeout 30m
bench bench-ci: SHELL := /bin/bash
bench bench-ci: .SHELLFLAGS := -o pipefail -c
bench: $(BENCHSTAT)
	@mkdir -p $(BENCHOUT)
	$(BENCH_TEST) -bench '^BenchmarkIngest(Paced)?$$' -count=$(INGEST_COUNT) -benchtime=$(INGEST_EVENTS)x ./bench/ | tee $(BENCHOUT)/raw-bench.txt
	$(BENCH_TEST) -bench '^Benchmark(HistoryRead|Batch|Store|Collect|Fanout)$$' -count=$(COUNT) -benchtime=$(BENCHTIME) ./bench/ | tee -a $(BENCHOUT)/raw-bench.txt
	$(BENCH_TEST) -bench '^BenchmarkMemory$$' -count=$(COUNT) -benchtime=$(MEMTIME) ./bench/ | tee -a $(BENCHOUT)/raw-bench.txt
	$(BENCH_TEST) -bench . -count=$(COUNT) -benchtime=$(BENCHTIME) $(BENCH_PKGS) | tee $(BENCHOUT)/raw-pkgs.txt
	cat $(BENCHOUT)/raw-bench.txt $(BENCHOUT)/raw-pkgs.txt > $(BENCHOUT)/raw.txt
	bench/stat.sh $(BENCHSTAT) $(BENCHOUT)/raw-bench.txt $(BENCHOUT)/raw-pkgs.txt | tee $(BENCHOUT)/benchstat.txt

## bench-ci: a short lock-free vs baseline ingest comparison (informs, does not gate).
bench-ci: $(BENCHSTAT)
	@mkdir -p $(BENCHOUT)
	$(BENCH_TEST) -bench '^BenchmarkIngest(Paced)?$$' -count=6 -benchtime=$(INGEST_EVENTS)x ./bench/ > $(BENCHOUT)/raw-ci.txt
	bench/stat.sh $(BENCHSTAT) $(BENCHOUT)/raw-ci.txt

## fuzz: run every fuzz target for FUZZTIME each (FUZZPAR at a time, -cpu FUZZCPU);
## fails only on a real finding (see fuzz/run.sh, docs/fuzzing.md).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) fuzz/run.sh $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
