# sluice's entry points. `make demo` and `make test` work from a fresh clone on a fresh machine.
PRESET_TEST  ?= dev
PRESET_DEMO  ?= release
SLUICE_DEMO   = build/$(PRESET_DEMO)/src/app/sluice
SLUICE_TEST   = build/$(PRESET_TEST)/src/app/sluice
JOBS         ?= $(shell nproc)
export SLUICE_CACHE ?= $(HOME)/.cache/sluice
export SLUICE_HOME ?= $(CURDIR)/.sluice

.PHONY: all bootstrap build build-test build-fuzz demo test unit fuzz up down status format lint clean

all: build

bootstrap:
	scripts/bootstrap

build: bootstrap
	cmake --preset $(PRESET_DEMO) >/dev/null
	cmake --build --preset $(PRESET_DEMO) -j $(JOBS)

build-test: bootstrap
	cmake --preset $(PRESET_TEST) >/dev/null
	cmake --build --preset $(PRESET_TEST) -j $(JOBS)

# The first visible pipeline on the local stack (the IoT example replaces it in issue 7).
demo: build
	$(SLUICE_DEMO) local up
	$(SLUICE_DEMO) demo --events 20000 --sensors 100

build-fuzz: bootstrap
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)

# Every test label except chaos, against the real local servers, under ASan+UBSan; then every
# fuzz target for a bounded time (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 15
test: build-test build-fuzz
	$(SLUICE_TEST) local up
	cd build/$(PRESET_TEST) && CI=true ctest --output-on-failure --timeout 900 -LE chaos
	cmake -DSLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) build/fuzz >/dev/null
	cd build/fuzz && ctest --output-on-failure -L fuzz

fuzz: build-fuzz
	cmake -DSLUICE_FUZZ_SECONDS=$(FUZZ_SECONDS) build/fuzz >/dev/null
	cd build/fuzz && ctest --output-on-failure -L fuzz

unit: build-test
	cd build/$(PRESET_TEST) && ctest --output-on-failure -L unit

up: build
	$(SLUICE_DEMO) local up
down:
	$(SLUICE_DEMO) local down
status:
	$(SLUICE_DEMO) local status

SOURCES = $(shell git ls-files '*.cc' '*.h')
format:
	clang-format -i $(SOURCES)

lint: build-test
	clang-tidy -p build/$(PRESET_TEST) --quiet $(filter %.cc,$(SOURCES))

clean:
	rm -rf build

# CQL client benchmark: sluice's driver vs latte vs the Python driver (bench/README.md);
# restrict with e.g. BENCH_ARGS="--clients sluice,latte --workloads insert".
.PHONY: bench-cql bench-sink
bench-cql:
	bench/setup
	bench/cql/run $(BENCH_ARGS)

# Sink benchmark: sluice run catching up on a pre-loaded topic vs latte (bench/README.md).
bench-sink:
	bench/setup
	bench/sink/run $(BENCH_ARGS)
