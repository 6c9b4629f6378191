# wgmail's two everyday commands, each doing all the set-up it needs:
#   make run    the whole service on the embedded defaults
#   make test   the whole test suite

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INI ?= development.ini

# pyramid and deform still import pkg_resources; its warning is noise here.
export PYTHONWARNINGS = ignore:pkg_resources is deprecated:UserWarning

.PHONY: run test install migrate demo shell lint format bench clean

$(BIN)/.installed: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools<81' wheel
	$(BIN)/pip install --quiet -e '.[testing]'
	touch $@

install: $(BIN)/.installed

migrate: install
	$(BIN)/alembic -c $(INI) upgrade head

run: migrate
	$(BIN)/pserve $(INI)

demo: migrate
	$(BIN)/wgmail-demo $(INI)

shell: migrate
	$(BIN)/pshell $(INI)

lint: install
	$(BIN)/ruff check wgmail tests alembic bench
	$(BIN)/ruff format --check wgmail tests alembic bench

format: install
	$(BIN)/ruff format wgmail tests alembic bench
	$(BIN)/ruff check --fix wgmail tests alembic bench

test: install lint
	$(BIN)/pytest

bench: install
	$(BIN)/python bench/dispatch_pass.py

clean:
	rm -rf $(VENV) var *.egg-info
