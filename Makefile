# Two commands matter: `make run` (set up and start UniText) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup bench package package-test clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	# Pinned so the CPU wheel already on this machine is used (an unpinned torch pulls a CUDA build).
	$(PY) -m pip install "torch==2.13.0"
	$(PY) -m pip install -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/unitext --first-run

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -rs

bench: $(STAMP)
	$(PY) -m training.bench

clean:
	rm -rf build dist .pytest_cache
