# Thin wrapper over CMake. The real build lives in CMakeLists.txt.
#   make deps   check/install Debian packages (installs when run as root)
#   make build  Release build into build/ (binaries in build/bin/)
#   make test   deps + sanitizer build (-Wall -Wextra -Werror, ASan/UBSan) + ctest
#   make demo   deps + build + the main job (an apex-sim scenario)
#   make accuracy  full-accuracy ML runs for docs/ML.md (minutes; not CI)
#   make format reformat sources with clang-format
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= simulations/scenarios/default.json
REPORT  ?= build/demo-report.json

.PHONY: all deps build test demo accuracy format format-check clean

all: build

deps:
	@sh deploy/deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j $(JOBS)

test: deps
	cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DAPEX_SANITIZE=ON
	cmake --build build-test -j $(JOBS)
	cd build-test && ctest --output-on-failure --timeout 600 -j $(JOBS)

demo: build
	build/bin/apex-sim --scenario $(SCENARIO) --report $(REPORT)

accuracy: build
	sh tests/ml/scripts/accuracy.sh build/bin/apex build/accuracy

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-test
