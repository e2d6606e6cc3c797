# Thin wrapper over meson: the README's commands.
BUILD ?= build
# make install: where (meson's prefix) and into which staging root.
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all wasmtime deps check bench run install uninstall debs clean

all: wasmtime $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# The Wasmtime C API for weft-runtime, in a persistent cargo cache.
wasmtime:
	scripts/build-wasmtime

$(BUILD)/build.ninja:
	meson setup $(BUILD)

deps:
	scripts/install-deps

# FRESH=1 first empties every cache of the project but the Wasmtime and
# Servo builds (scripts/empty-caches), as on a new machine.
check: deps
	@if [ -n "$(FRESH)" ] && [ "$(FRESH)" != 0 ]; then BUILD=$(BUILD) scripts/empty-caches; fi
	scripts/build-wasmtime
	scripts/run-tests

bench: deps all
	bench/run

# WEFT in the foreground until Ctrl+C: scripts/run-weft --help. Debian
# packages first (a fresh machine may not even have python3); run-weft runs
# make itself, so that it can say what it is doing.
run: deps
	scripts/run-weft --build $(BUILD) $(ARGS)

# Everything under PREFIX (README: Install), staged under DESTDIR when set.
# A PREFIX other than the build's sets its prefix (and so the paths compiled
# in: the system store, the trust dir) and rebuilds.
install: wasmtime $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson compile -C $(BUILD)
	meson install -C $(BUILD) --no-rebuild $(if $(DESTDIR),--destdir "$(abspath $(DESTDIR))")

# What the last make install installed (meson's install log), DESTDIR included.
uninstall:
	ninja -C $(BUILD) uninstall

# The Debian packages, into build-deb/ (scripts/build-debs).
debs: deps wasmtime
	scripts/build-debs

clean:
	rm -rf $(BUILD) build-asan build-fuzz
