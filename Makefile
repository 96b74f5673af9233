# golive - thin wrapper around CMake/CTest. Every target bootstraps first,
# so `make run` and `make test` work on a fresh Debian machine.
PREFIX   ?= /usr/local
RELEASE  ?= build/release
TESTDIR  ?= build/test
CMAKE_GEN = -G Ninja
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
SRCS = $(wildcard src/*/*.[ch] src/*/*/*.[ch] include/golive/*.h tests/unit/*.[ch])

.PHONY: all golive bootstrap run test fuzz bench format format-check install clean vsix

all: golive

bootstrap:
	@scripts/bootstrap

golive: bootstrap
	@cmake -S . -B $(RELEASE) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DGOLIVE_TESTS=OFF >/dev/null
	@cmake --build $(RELEASE)

# Build golive, then run examples/webapp under golive dev: edit main.go, the new
# version serves at http://${ADDR:-127.0.0.1:8080} without a refused connection.
run: golive
	cd examples/webapp && ../../$(RELEASE)/golive dev --listen $${ADDR:-127.0.0.1:8080}

# Every test: unit (cmocka), fuzz smoke runs (FUZZ_SMOKE_SECONDS each; `make
# fuzz` runs them FUZZ_SECONDS), end-to-end on real Go code,
# built with clang under AddressSanitizer + UndefinedBehaviorSanitizer. The
# release build (gcc -O3 -Werror) is built too, so its warnings fail here.
test: golive
	@cmake -S . -B $(TESTDIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DGOLIVE_SANITIZE=ON -DGOLIVE_FUZZ=ON -DGOLIVE_FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) >/dev/null
	@cmake --build $(TESTDIR)
	@$(MAKE) --no-print-directory format-check
	cd $(TESTDIR) && ctest --output-on-failure -j2 $(CTEST_ARGS)

fuzz: bootstrap
	@cmake -S . -B $(TESTDIR) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DGOLIVE_SANITIZE=ON -DGOLIVE_FUZZ=ON -DGOLIVE_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	@cmake --build $(TESTDIR)
	cd $(TESTDIR) && ctest --output-on-failure -R '^fuzz/'

# Benchmarks print ratios against baselines measured in the same run.
bench: golive
	bench/overhead

# The VS Code extension (editors/vscode) as a .vsix that starts golive lsp next to gopls.
vsix: bootstrap
	cd editors/vscode && npm run --silent package

format:
	clang-format -i $(SRCS)

format-check:
	@clang-format --dry-run --Werror $(SRCS)

install: golive
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(RELEASE)/golive $(DESTDIR)$(PREFIX)/bin/golive

clean:
	rm -rf build
