# citizen-idp — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Message catalogues are compiled here, never committed.
MO := $(patsubst %.po,%.mo,$(wildcard idp/translations/*/LC_MESSAGES/messages.po))

.DEFAULT_GOAL := help
.PHONY: help demo test lint format screenshots clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

demo: $(STAMP) $(MO) ## Set up the sandbox and run the provider (:5000) and the demo portal (:5001)
	$(BIN)/idp demo

test: $(STAMP) $(MO) lint ## Lint, type-check and run every test (PostgreSQL too when IDP_TEST_DATABASE_URL is set)
	$(BIN)/pytest

lint: $(STAMP) ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

screenshots: $(STAMP) $(MO) ## Retake the README's screenshots (docs/screenshots) in Chromium
	$(BIN)/python -m tests.e2e.screenshots

clean: ## Remove the virtual environment and local state
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
