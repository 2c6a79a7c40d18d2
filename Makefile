# depthguard: the two set-up commands (`make demo`, `make test`) and their pieces.

# The LibTorch of the build (docs/architecture.md, "LibTorch versions"): 2, the torch wheel
# pinned in requirements-torch2.txt (the CUDA build from PyPI), in the virtual environment
# $(TORCH2_ENV)/venv that scripts/torch2-env.sh makes (or reuses), the default: it is the
# faster depthguard (docs/training.md); or 1.13, Debian's libtorch-dev, in build-libtorch113/
# (`make test-libtorch113`). CI builds and tests both.
LIBTORCH ?= 2
ifeq ($(LIBTORCH),2)
BUILD_DIR ?= build
else ifeq ($(LIBTORCH),1.13)
BUILD_DIR ?= build-libtorch113
else
$(error LIBTORCH is 2 or 1.13, not '$(LIBTORCH)')
endif
TORCH2_ENV ?= build/torch2
TORCH_PYTHON = $(if $(filter 2,$(LIBTORCH)),$(abspath $(TORCH2_ENV))/venv/bin/python)
TORCH_ARGS = -DDEPTHGUARD_TORCH_PYTHON=$(TORCH_PYTHON) \
  $(if $(TORCH_PYTHON),-DGLOO_INCLUDE_DIR=$(abspath $(TORCH2_ENV))/gloo/usr/include)
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
BENCH_FILTER ?= .

.PHONY: deps torch-env build build-tests demo test test-avx2 test-libtorch113 python dev dev-test sanitize fuzz bench bench-peer clean

deps:
	./scripts/install-deps.sh

# LibTorch 2.x: the virtual environment with requirements-torch2.txt and Gloo's headers for
# it, made when missing or when that file changed (a check of its hash otherwise). A build
# directory holds one LibTorch: one configured for the other is refused, not mixed.
torch-env: deps
ifeq ($(LIBTORCH),2)
	./scripts/torch2-env.sh $(TORCH2_ENV) >/dev/null
endif
	@if [ -f $(BUILD_DIR)/CMakeCache.txt ] && \
	    ! grep -qx 'DEPTHGUARD_TORCH_PYTHON:FILEPATH=$(TORCH_PYTHON)' $(BUILD_DIR)/CMakeCache.txt; then \
	  echo "make: $(BUILD_DIR)/ was configured for another LibTorch than LIBTORCH=$(LIBTORCH): remove it or set BUILD_DIR"; \
	  exit 2; fi

# Configure only when the build directory has no cache yet; after that the build itself
# re-runs CMake when a CMakeLists.txt changes (or a file is added: CONFIGURE_DEPENDS globs).
$(BUILD_DIR)/CMakeCache.txt: | deps torch-env
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(TORCH_ARGS) $(CMAKE_FLAGS)

build: deps torch-env $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: numerics demo, train on synthetic rooms, evaluate, predict (scripts/demo.sh;
# Ctrl-C saves, and a rerun resumes).
demo: build
	./scripts/demo.sh $(BUILD_DIR)/depthguard

# Builds what the suite runs (the library, the CLI, the examples, the tests), not the
# benchmarks, and runs the suite.
test: deps torch-env $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target depthguard_tests
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The suite again on the kernels of a CPU without AVX-512 (oneDNN's AVX2 family), whatever this
# CPU has: ONEDNN_MAX_CPU_ISA=AVX2 (docs/guard.md "Kernels that compute wrong"). CI runs it
# after make test; on an AVX2-only machine it repeats make test.
test-avx2: deps torch-env $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target depthguard_tests
	cd $(BUILD_DIR) && ONEDNN_MAX_CPU_ISA=AVX2 ctest --output-on-failure -j $(JOBS)

# The other LibTorch line, Debian's 1.13, kept building and tested (CI runs it after make test).
test-libtorch113:
	$(MAKE) test LIBTORCH=1.13

# The Python package (docs/python.md) for the build's torch, installed by pip's own build of it
# (pyproject.toml) into the 2.x virtual environment ($(TORCH2_ENV)/venv), or with LIBTORCH=1.13
# into $(BUILD_DIR)/venv, a virtual environment that sees Debian's python3-torch (made when
# missing). pip builds in $(BUILD_DIR) itself, so what the suite built is not built again.
PACKAGE_PYTHON = $(if $(TORCH_PYTHON),$(TORCH_PYTHON),$(abspath $(BUILD_DIR))/venv/bin/python)
PIP = $(PACKAGE_PYTHON) -m pip --disable-pip-version-check
python: deps torch-env $(BUILD_DIR)/CMakeCache.txt
	@[ -x $(PACKAGE_PYTHON) ] || /usr/bin/python3 -m venv --system-site-packages $(BUILD_DIR)/venv
	$(PIP) install --quiet -r requirements-build.txt
	CMAKE_GENERATOR="Unix Makefiles" $(PIP) install --no-build-isolation --no-deps --force-reinstall \
	  -C build-dir=$(abspath $(BUILD_DIR)) -C cmake.build-type=$(BUILD_TYPE) -C build.verbose=false .
	cd /tmp && $(PACKAGE_PYTHON) -c 'import depthguard, torch; print("depthguard", depthguard.__version__, "for torch", torch.__version__, "in", "$(PACKAGE_PYTHON)")'

# The developer loop: -O1, one translation unit per file, in build-dev/
# (docs/architecture.md, "Build loop").
DEV_FLAGS = BUILD_DIR=build-dev BUILD_TYPE=Dev CMAKE_FLAGS=-DDEPTHGUARD_UNITY_BUILD=OFF
dev:
	$(MAKE) build-tests $(DEV_FLAGS)

dev-test:
	$(MAKE) test $(DEV_FLAGS)

build-tests: deps torch-env $(BUILD_DIR)/CMakeCache.txt
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
SANITIZE_FLAGS = LIBTORCH=1.13 BUILD_DIR=build-asan BUILD_TYPE=RelWithDebInfo \
  CMAKE_FLAGS="-DDEPTHGUARD_BUILD_PYTHON=OFF -DCMAKE_CXX_FLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer'"
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

# depthguard's training step, built against LibTorch 2.x (this build) and 1.13
# (build-libtorch113/), against plain PyTorch 2.x (eager, channels-last, torch.compile; from
# $(TORCH2_ENV)/venv) and 1.13 (Debian's python3-torch and python3-torchvision, which only this
# needs), same model and threads (bench/peer/run.sh; MODEL=swinv2-mim for MIM's model).
bench-peer: build
	./scripts/install-deps.sh --peer
	$(MAKE) build LIBTORCH=1.13
	LIBTORCH113_DIR=build-libtorch113 TORCH2_ENV=$(TORCH2_ENV) bench/peer/run.sh $(BUILD_DIR)

clean:
	rm -rf build build-dev build-libtorch113 build-asan
