# The single entry point. `make demo` and `make test` build the virtualenv from the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: venv demo serve test test-postgres browser lint fmt typecheck bench lock messages clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

demo: venv  ## build the demo city and serve it at http://127.0.0.1:8000
	$(BIN)/lantern demo

serve: venv
	$(BIN)/lantern serve

test: venv  ## the whole suite on SQLite (PostgreSQL when LANTERN_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

browser: venv
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

fmt: venv
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck: venv
	$(BIN)/mypy src/lantern

bench: venv  ## print benchmark figures (not part of the test run)
	$(BIN)/python benchmarks/ingest.py

lock:  ## re-resolve the lock file after changing pyproject.toml (needs uv)
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock

messages: venv  ## re-extract the portal's message ids into messages.pot (tests/portal/test_i18n.py lists untranslated ones)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _ -k gettext -k ngettext:1,2 \
	  -o src/lantern/portal/locale/messages.pot .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache
