# Detox — the two commands a fresh machine needs are `make demo` and `make test`.

SWIFT ?= swift
CONFIG ?= release
# Tests import some modules with @testable, which a release build allows only with -enable-testing.
TEST_FLAGS ?= -Xswiftc -enable-testing

.PHONY: demo test test-asan fuzz bench deps build fixtures clean

deps:
	@bash Scripts/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG) --product detox

## The main job: runs the best end-to-end pipeline there is (see README).
demo: build
	$(SWIFT) run -c $(CONFIG) detox demo

## Every test, built optimized (numeric code is slow in debug builds), then the two-namespace
## Open MPI run (Scripts/mpi-netns-test.sh; it exits 77, a skip, without root, iproute2 or mpirun).
test: deps
	$(SWIFT) build -c $(CONFIG) --build-tests $(TEST_FLAGS)
	$(SWIFT) test -c $(CONFIG) --skip-build $(TEST_FLAGS)
	bash Scripts/mpi-netns-test.sh .build/$(CONFIG)/detox || [ $$? -eq 77 ]

## The suite under AddressSanitizer, built in its own folder (.build-asan) so the normal build is
## left alone. It looks for memory errors; leak checking is off.
test-asan: deps
	$(SWIFT) build -c $(CONFIG) --build-tests $(TEST_FLAGS) --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test -c $(CONFIG) --skip-build $(TEST_FLAGS) --sanitize=address \
		--scratch-path .build-asan

## Every libFuzzer harness for FUZZ_SECONDS each (see docs/FUZZING.md); builds in DetoxFuzz/.build.
FUZZ_SECONDS ?= 30
fuzz: deps
	bash Scripts/fuzz.sh all $(FUZZ_SECONDS)

## Benchmarks: Swift figures, each beside PyTorch's from the same run when .venv exists
## (make it with Scripts/fixtures/setup.sh). Last, Scripts/bench/mpi_bench.sh pairs a LoRA step with 2 MPI
## ranks x 1 thread against 1 rank x 2 threads. Each section runs on the Python side and then on the
## Swift side straight after, so that a shared machine's drift in speed touches both alike; PPO
## steps, the longest case, and the decoder-only rollout alternate one by one with TRL's. The decoder-only figures (gpt2,
## SmolLM2-135M and Qwen2.5-0.5B NF4 shapes) run as four sections for closer pairing;
## `BENCH_SECTIONS=decoder` runs all four in one.
BENCH_SECTIONS ?= core tokenizers models lora ppo decoder-forward decoder-sample decoder-lora decoder-memory causal-ppo causal-rollout
bench: deps
	$(SWIFT) build -c release --product detox-bench
	@mkdir -p .build
	@if [ -x .venv/bin/python ]; then \
		for section in $(BENCH_SECTIONS); do \
			.venv/bin/python Scripts/bench/torch_bench.py $$section > .build/bench-torch-$$section.json && \
			$(SWIFT) run -c release --skip-build detox-bench --only $$section --reference .build/bench-torch-$$section.json --python .venv/bin/python || exit 1; \
		done; \
	else \
		echo "(no .venv: PyTorch figures skipped; run Scripts/fixtures/setup.sh)"; \
		$(SWIFT) run -c release --skip-build detox-bench; \
	fi
	$(SWIFT) build -c release --product detox
	bash Scripts/bench/mpi_bench.sh .build/release/detox

## Regenerates every test fixture from the pinned Python stack.
fixtures:
	bash Scripts/fixtures/setup.sh
	for script in Scripts/fixtures/make_*.py; do .venv/bin/python "$$script" || exit 1; done

clean:
	rm -rf .build
