# Entry points for building, running and checking mandate on Debian 12.
#
#   make run        install what is missing, build (release), check the example charges
#   make test       build with warnings as errors and run every test
#   make test-asan  run every test under AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz       run each fuzzer for FUZZ_SECONDS seconds
#   make bench      build (release) and run the benchmarks
#   make format     clang-format every C++ source in place

FUZZ_SECONDS ?= 30

SOURCE_DIRS := include grammar engine cli tests bench fuzz

.PHONY: all setup build run test test-asan fuzz bench clean format format-check

all: build

setup:
	@bash scripts/setup.sh

build: setup
	cmake --preset release
	cmake --build --preset release

run: build
	build/release/mandate check stdlib-policies/office_supplies.mandate \
		examples/office_charges.jsonl

test: setup
	cmake --preset ci
	cmake --build --preset ci
	ctest --preset ci

test-asan: setup
	cmake --preset asan
	cmake --build --preset asan
	ctest --preset asan

fuzz: setup
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

bench: build
	@set -e; found=0; \
	for bench in build/release/bench/*_bench; do \
		[ -x "$$bench" ] || continue; \
		found=1; \
		echo "== $$bench"; \
		"$$bench"; \
	done; \
	[ "$$found" = 1 ] || { echo "no benchmarks under build/release/bench" >&2; exit 1; }

clean:
	rm -rf build

format:
	@bash scripts/setup.sh clang-format
	find $(SOURCE_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null \
		| xargs -r clang-format -i

format-check:
	@bash scripts/setup.sh clang-format
	find $(SOURCE_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null \
		| xargs -r clang-format --dry-run --Werror
