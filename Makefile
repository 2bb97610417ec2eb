# Build, test, fuzz and benchmark the Intercom gateway.
#
#   make test    vet, then every test with the race detector (the README's test command)
#   make plugin  compile mapping/ to build/mapping.wasm (GOOS=wasip1 GOARCH=wasm) and sign it
#   make build   the gateway binary in bin/
#   make fuzz    every Fuzz target for FUZZTIME each
#   make bench   every benchmark once, written to bench.txt
#   make demo    the migration guide's events through the gateway into the simulator

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s

.PHONY: all build plugin test fuzz bench demo clean

all: build plugin

build:
	$(GO) build -o bin/ ./cmd/...

# The signing key is made on first use and stays in build/ (git-ignored);
# point plugins.publicKeyFile at build/signing-key.pub, or sign with the
# team's own key in CI instead.
SIGNING_KEY ?= build/signing-key

plugin:
	sh build/build.sh build/mapping.wasm
	@test -f $(SIGNING_KEY) || $(GO) run ./cmd/intercom-gateway plugin keygen -out $(SIGNING_KEY)
	$(GO) run ./cmd/intercom-gateway plugin sign -key $(SIGNING_KEY) build/mapping.wasm

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...

# Each fuzz target runs alone, because go test -fuzz takes one target at a time.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target for $(FUZZTIME)"; \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME); \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./... | tee bench.txt

demo: plugin
	$(GO) run ./cmd/intercom-gateway demo

clean:
	rm -rf bin build/*.wasm build/*.wasm.sig bench.txt
