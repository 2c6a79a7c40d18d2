# depthguard: the two set-up commands (`make demo`, `make test`) and their pieces.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
BENCH_FILTER ?= .

.PHONY: deps configure build demo test bench clean

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: numerics demo, train on synthetic rooms, evaluate, predict (scripts/demo.sh;
# Ctrl-C saves, and a rerun resumes).
demo: build
	./scripts/demo.sh $(BUILD_DIR)/depthguard

# Builds what the suite runs (the library, the CLI, the tests), not the benchmarks: a clean
# build is most of `make test`'s time on 2 cores. `make bench` and `make demo` build everything.
test: configure
	cmake --build $(BUILD_DIR) -j $(JOBS) --target depthguard_tests
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Speed targets live here, never in timed tests. BENCH_FILTER narrows the run.
bench: build
	$(BUILD_DIR)/depthguard_bench --benchmark_filter='$(BENCH_FILTER)'

clean:
	rm -rf $(BUILD_DIR)
