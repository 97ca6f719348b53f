PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint warm bench clean check-plain

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $@

run: $(STAMP)
	@echo "accord: forecasting examples/syria-issg-2015.yaml (the first run on a machine compiles the EUM, SMP and exchange kernels: about a minute; later runs take seconds)"
	$(BIN)/accord forecast examples/syria-issg-2015.yaml

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks

# Compile the numba kernels once, one model per process, before the test workers need them
# (otherwise each worker compiles the same kernel at the same time on a fresh clone). 40 draws:
# chunks of 5, enough for the threaded EUM and SMP kernels to be compiled too.
warm: $(STAMP)
	@echo "compiling the model kernels (cached after the first time)"
	@for m in eum smp exchange; do $(BIN)/accord forecast examples/syria-issg-2015.yaml -m $$m --draws 40 > /dev/null & done; wait

test: $(DEVSTAMP) lint warm
	$(BIN)/python -m pytest -n 2 -q

# accord as a user gets it: a fresh venv, `pip install .` with no extras, a forecast with draws
# (Monte Carlo needs scipy: a dependency the dev extras would hide if it were undeclared).
PLAIN := build/plain-venv
check-plain:
	rm -rf $(PLAIN)
	$(PY) -m venv $(PLAIN)
	$(PLAIN)/bin/python -m pip install --quiet .
	cd build && ../$(PLAIN)/bin/accord forecast ../examples/syria-issg-2015.yaml --draws 50 > /dev/null
	@echo "plain install: ok"

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
