# Two commands matter: `make run` (set up and start UniText) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test setup train-setup bench package package-test clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip >/dev/null
	# Pinned so the CPU wheel already on this machine is used (an unpinned torch pulls a CUDA build).
	$(PY) -m pip install "torch==2.13.0"
	$(PY) -m pip install -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# Fonts, word lists and sentences for the synthetic training data (Debian + npm packages).
train-setup: $(STAMP)
	$(PY) -m pip install -e ".[test,train]"
	bash training/assets/install.sh

run: $(STAMP)
	$(VENV)/bin/unitext --first-run

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -rs

# UniText beside RapidOCR and Tesseract on the same crops in one run (not part of CI):
# `make bench BENCH_ARGS="--model run/model.pt --limit 200 --out bench.md"`. RapidOCR comes
# from the `bench` extra; Tesseract is used where the system has it (Debian/Ubuntu:
# apt-get install tesseract-ocr-eng libtesseract5), else skipped with the reason printed.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) -c "import rapidocr, onnxruntime" 2>/dev/null || $(PY) -m pip install -e ".[bench]" || echo "RapidOCR could not be installed: it will be skipped"
	$(PY) -m training.bench $(BENCH_ARGS)

# The desktop bundle dist/unitext/ (PyInstaller, packaging/unitext.spec): about 2 minutes on
# 2 busy cores. Not part of `make test`; see packaging/MEASUREMENTS.md for sizes and timings.
package: $(STAMP)
	test -x $(VENV)/bin/pyinstaller || $(PY) -m pip install "pyinstaller>=6"
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/unitext.spec
	@du -sh dist/unitext

# Build, then prove the bundle works: frozen `unitext read` equals the source tree's, eval
# and train run, the GUI opens an image and reads the sample headless (offscreen and Xvfb).
# About 8 minutes from scratch (a tiny model is trained once into build/smoke/ while
# resources/models/ has no default model), 3 minutes after that.
package-test: package
	$(PY) packaging/smoke_test.py

clean:
	rm -rf build dist .pytest_cache
