# Entry points for building, running and checking mandate on Debian 12.
#
#   make run        install what is missing, build (release), check the example charges
#   make test       build with warnings as errors and run every test
#   make test-asan  run every test under AddressSanitizer and UndefinedBehaviorSanitizer
#   make fuzz       run each fuzzer for FUZZ_SECONDS seconds
#   make bench      build (release), run every benchmark, the CEL/Cedar comparison and the
#                   charts (bench/run.sh; reports in build/bench-results, charts in docs/plots)
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

bench: setup
	@bash bench/run.sh

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
