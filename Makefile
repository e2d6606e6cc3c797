# Thin wrapper over meson: the README's commands.
BUILD ?= build

.PHONY: all deps check bench run clean

all: $(BUILD)/build.ninja
	meson compile -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

deps:
	scripts/install-deps

check: deps
	scripts/run-tests

bench: deps all
	bench/run

clean:
	rm -rf $(BUILD) build-asan
