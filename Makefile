# Two commands for a fresh Debian machine: `make demo` and `make test`.
# Both install what they need (apt packages, a .venv with pinned dependencies) and start pcscd.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test system lint typecheck bench clean

system:
	@bash scripts/ensure-system.sh

$(STAMP): $(wildcard requirements*.txt) setup.cfg pyproject.toml $(wildcard scripts/install-*.sh)
	@bash scripts/install-venv.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

demo: system $(STAMP)
	$(BIN)/cccd demo

test: system $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy reader sims kiosk biometrics

bench: system $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
