# presswatch: the two commands of the README.
#   make demo   create .venv, install, ingest seeds/ through the Prefect flow, print coverage
#   make test   create .venv, install, lint, run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test install lint

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/presswatch ingest seeds seeds
	$(BIN)/presswatch report coverage
	@echo
	@echo "presswatch is installed in $(VENV)/, which is not on your PATH. To run it:"
	@echo "  . $(VENV)/bin/activate     then: presswatch --help"
	@echo "  or call it by its path:   $(BIN)/presswatch --help"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest
