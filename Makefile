# Set-up and everyday commands. `make run` and `make test` each set everything up first.
# Python comes from `python3`; under pyenv the repo's .python-version selects 3.12.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "spsim needs Python >= 3.12 (found " + sys.version.split()[0] + "); install it or point PYTHON=... at one")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/spsim run --out results/default

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not browser"
	$(BIN)/python -m pytest -q -m browser

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_model.py

# The generated parts of the docs: the parameter appendix of docs/ODD.md, the local models' tables
# and the lever response curves (a few minutes). The ODD 1.2 snapshot (docs/patterns_snapshot.py) and
# the worked examples of docs/evaluation.md and docs/feedback-loops.md print numbers to copy by hand.
docs: $(STAMP)
	$(BIN)/python docs/update_params_appendix.py
	$(BIN)/python docs/local_models_snapshot.py --write
	$(BIN)/python docs/lever_curves.py --replicates 5 --size 20000 --weeks 104 --workers 2

clean:
	rm -rf $(VENV) results .pytest_cache
