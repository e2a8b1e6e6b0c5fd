# Thin wrapper over CMake. The real build lives in CMakeLists.txt.
#   make deps   check/install Debian packages (installs when run as root)
#   make build  Release build into build/ (binaries in build/bin/)
#   make test   deps + sanitizer build (-Wall -Wextra -Werror, ASan/UBSan) + ctest
#   make demo   deps + build + the main job (an apex-sim scenario)
#   make accuracy  full-accuracy ML runs for docs/ML.md (minutes; not CI)
#   make format reformat sources with clang-format
#   make eval-unlearning  full-size unlearning evaluation (mlp + vit-tiny, class and
#               sample level; minutes to an hour; reports in $(UNL_OUT)/)
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
SCENARIO ?= simulations/scenarios/default.json
REPORT  ?= build/demo-report.json
UNL_OUT ?= build/eval-unlearning
UNL_ARGS ?= --clients 8 --cache $(UNL_OUT)/cache --threads 2

.PHONY: all deps build test demo accuracy eval-unlearning format format-check clean

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

eval-unlearning: build
	mkdir -p $(UNL_OUT)
	for m in mlp vit-tiny; do for s in class sample; do \
	  e=$$( [ $$m = vit-tiny ] && echo "--epochs 15" ); \
	  build/bin/apex eval unlearning --model $$m --scenario $$s $$e $(UNL_ARGS) \
	    --json $(UNL_OUT)/$$m-$$s.json --plot $(UNL_OUT)/$$m-$$s.png \
	    > $(UNL_OUT)/$$m-$$s.txt || exit 1; cat $(UNL_OUT)/$$m-$$s.txt; done; done

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-test
