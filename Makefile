# `make test` is the README's test command: lint, pure tests, then the lab (real kernel in qemu).
PYTHON ?= python3

.PHONY: test unit lab lint setup

test: lint
	$(PYTHON) -m pytest -v

unit:
	$(PYTHON) -m pytest -v -m "not lab"

lab:
	$(PYTHON) -m pytest -v -m lab

lint:
	$(PYTHON) -m ruff check src tests
	$(PYTHON) -m ruff format --check src tests
	sh -n if-up.d/bondhook

setup:
	bash .ci/setup
