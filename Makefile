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

.PHONY: all test vet race benchsmoke bench fuzz tools fmt

all: test

## test: vet, race-enabled tests (including every fuzz seed corpus), each benchmark once.
test: vet race benchsmoke

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

race:
	$(GO) test -race -count=1 -timeout 10m $(PKGS)

benchsmoke:
	$(GO) test -run '^$$' -bench . -benchtime=1x -count=1 -timeout 10m $(PKGS)

tools: $(BENCHSTAT)

$(BENCHSTAT):
	$(GO) install golang.org/x/perf/cmd/benchstat@latest

## bench: the side-by-side comparison (lock-free vs baseline vs floors) through benchstat.
bench: $(BENCHSTAT)
	@mkdir -p $(BENCHOUT)
	$(GO) test -run '^$$' -bench . -benchmem -count=$(COUNT) -benchtime=$(BENCHTIME) -timeout 30m ./ring/ ./store/ | tee $(BENCHOUT)/raw.txt
	$(BENCHSTAT) -col /impl $(BENCHOUT)/raw.txt | tee $(BENCHOUT)/benchstat.txt

## fuzz: run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')
