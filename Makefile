# Two commands for a fresh Debian machine: `make demo` and `make test`.
# Both install what they need (apt packages, a .venv with pinned dependencies) and start pcscd.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-hub test system lint typecheck bench fuzz clean

system:
	@bash scripts/ensure-system.sh

$(STAMP): $(wildcard requirements*.txt) setup.cfg pyproject.toml $(wildcard scripts/install-*.sh)
	@bash scripts/install-venv.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

# The demo (cccd/fulldemo.py): a local `cccd receiver`, the chip read through pcscd, every headless flow
# delivered to the receiver, the UI when a display exists, a summary, then the fleet: a private PostgreSQL,
# the hub and three kiosks delivering through it, with the console's URL and a sign-in (on a terminal the
# fleet stays up until Ctrl-C). FACE=ground-truth skips face analysis.
FACE ?= engine
demo: system $(STAMP)
	$(BIN)/python -m cccd.fulldemo --face $(FACE)

# The fleet demo (hub/demo.py): a private PostgreSQL, the hub, the reference receiver, three headless kiosks
# (hospital, bank, lodging) delivering through the hub; prints the console's URL and a sign-in.
demo-hub: system $(STAMP)
	$(BIN)/python -m cccd hub demo

test: system $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy cccd reader sims kiosk biometrics ui benchmarks hub fuzz receiver
	$(BIN)/lint-imports

bench: system $(STAMP)
	$(BIN)/python -m benchmarks

# Coverage-guided fuzzing (atheris): every target of fuzz/targets.py for FUZZ_SECONDS each (docs/fuzzing.md).
# Findings go to build/fuzz/crashes/<target>/; `make test` runs a short run of each.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP)
	@mkdir -p build/fuzz/logs
	@for t in $$($(BIN)/python -m fuzz --list 2>/dev/null); do \
		echo "== $$t ($(FUZZ_SECONDS) s)"; \
		if ! $(BIN)/python -m fuzz $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
				> build/fuzz/logs/$$t.log 2>&1; then \
			tail -n 40 build/fuzz/logs/$$t.log; echo "fuzz: $$t found a crash (build/fuzz/crashes/$$t/)"; exit 1; \
		fi; \
		grep -E "stat::number_of_executed_units" build/fuzz/logs/$$t.log; \
	done

clean:
	rm -rf $(VENV) build *.egg-info
