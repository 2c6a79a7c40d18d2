# depthguard: the two set-up commands (`make demo`, `make test`) and their pieces.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
BENCH_FILTER ?= .

.PHONY: deps build build-tests demo test test-torch2 torch2-configure dev dev-test sanitize fuzz bench bench-peer clean

deps:
	./scripts/install-deps.sh

# Configure only when the build directory has no cache yet; after that the build itself
# re-runs CMake when a CMakeLists.txt changes (or a file is added: CONFIGURE_DEPENDS globs).
$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: numerics demo, train on synthetic rooms, evaluate, predict (scripts/demo.sh;
# Ctrl-C saves, and a rerun resumes).
demo: build
	./scripts/demo.sh $(BUILD_DIR)/depthguard

# Builds what the suite runs (the library, the CLI, the examples, the tests), not the
# benchmarks, and runs the suite.
test: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target depthguard_tests
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The LibTorch 2.x line: the torch wheel pinned in requirements-torch2.txt (the CUDA build
# from PyPI) in a virtual environment under $(TORCH2_DIR), with Gloo's headers for it
# (scripts/torch2-env.sh); configures against it, builds and runs the whole suite on the CPU.
TORCH2_DIR ?= build-torch2
torch2-configure: deps
	cmake -S . -B $(TORCH2_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $$(./scripts/torch2-env.sh $(TORCH2_DIR)) $(CMAKE_FLAGS)

test-torch2: torch2-configure
	cmake --build $(TORCH2_DIR) -j $(JOBS) --target depthguard_tests
	cd $(TORCH2_DIR) && ctest --output-on-failure -j $(JOBS)

# The developer loop: -O1, one translation unit per file, in build-dev/
# (docs/architecture.md, "Build loop").
DEV_FLAGS = BUILD_DIR=build-dev BUILD_TYPE=Dev CMAKE_FLAGS=-DDEPTHGUARD_UNITY_BUILD=OFF
dev:
	$(MAKE) build-tests $(DEV_FLAGS)

dev-test:
	$(MAKE) test $(DEV_FLAGS)

build-tests: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target depthguard_tests

# Speed targets live here, never in timed tests. BENCH_FILTER narrows the run.
bench: build
	$(BUILD_DIR)/depthguard_bench --benchmark_filter='$(BENCH_FILTER)'

# The suite under AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/ (glibc's
# malloc: ASan brings its own). Not in CI (slow on 2 cores); run it before resolving work on
# the guard, loader, checkpoint or file-writing code. LibTorch itself is not instrumented and
# keeps its caches until exit, so leak reports are off. A failed allocation returns null, as
# glibc's malloc does (ASan aborts by default), so the tests of "beyond memory" test that.
SANITIZE_ENV = ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SANITIZE_FLAGS = BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo \
  CMAKE_FLAGS="-DCMAKE_CXX_FLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer'"
sanitize:
	$(SANITIZE_ENV) $(MAKE) test $(SANITIZE_FLAGS)

# The long run of the parser fuzz tests (tests/fuzz/): FUZZ_CASES mutated files per parser
# from FUZZ_SEED, under the sanitizers of build-asan/. The suite runs 300 per parser.
FUZZ_CASES ?= 20000
FUZZ_SEED ?= 1
fuzz:
	$(MAKE) build-tests $(SANITIZE_FLAGS)
	cd build-asan/tests && { $(SANITIZE_ENV) DEPTHGUARD_FUZZ_CASES=$(FUZZ_CASES) DEPTHGUARD_FUZZ_SEED=$(FUZZ_SEED) \
	  ./depthguard_tests --gtest_filter='ParserFuzz.*' > fuzz.log 2>&1; status=$$?; \
	  grep -E '^(fuzzing|accepted|case|\[ +(OK|FAILED|PASSED) |SUMMARY)' fuzz.log; \
	  echo "fuzz: exit $$status, full log in build-asan/tests/fuzz.log"; exit $$status; }

# depthguard's training step, built against LibTorch 1.13 and 2.x, against plain PyTorch 1.13
# (Debian's python3-torch and python3-torchvision, which only this needs) and 2.x (eager,
# channels-last, torch.compile; the 2.x build's virtual environment), same model and threads
# (bench/peer/).
bench-peer: build torch2-configure
	./scripts/install-deps.sh --peer
	cmake --build $(TORCH2_DIR) -j $(JOBS) --target depthguard_bench
	TORCH2_DIR=$(TORCH2_DIR) bench/peer/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) build-dev $(TORCH2_DIR)
