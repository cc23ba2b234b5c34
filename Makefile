# Two commands do everything on a fresh machine:  make grade   and   make test
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch==2.13.0 is the CPU build where a local wheel or a CPU index provides it; elsewhere pass
# e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu" (see README).
TORCH_PIP_ARGS ?=
WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
LANG_FEEDBACK ?= fr

.PHONY: install browser grade test validate robustness benchmark clean

install: $(STAMP)

# pip fetches torch's wheel (it honours the machine's pip configuration, which may point at a local
# CPU build) unless the venv has it; uv installs it with the rest in half of pip's time (measured:
# 40 s against 104 s), or pip where uv cannot be had.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	rm -rf $(VENV)/wheels
	$(PY) -c "import importlib.metadata as m, sys; sys.exit(m.version('torch').split('+')[0] != '2.13.0')" 2>/dev/null \
	  || $(PY) -m pip download --quiet --no-deps --dest $(VENV)/wheels torch==2.13.0 $(TORCH_PIP_ARGS)
	torch=$$(ls $(VENV)/wheels/torch-*.whl 2>/dev/null); \
	  { $(PY) -m pip install --quiet uv && \
	    $(VENV)/bin/uv pip install --quiet --python $(PY) --compile-bytecode $$torch -e ".[test]"; } \
	  || $(PY) -m pip install --quiet $$torch -e ".[test]"
	rm -rf $(VENV)/wheels
	touch $(STAMP)

grade: install
	@status=0; for manifest in assignments/*/assignment.toml; do \
	  id=$$(basename $$(dirname $$manifest)); \
	  if [ -d submissions/$$id ]; then \
	    $(PY) -m grader grade $$id submissions/$$id --out reports/$$id --workers $(WORKERS) --lang $(LANG_FEEDBACK) --junit reports/$$id/junit.xml || status=$$?; \
	  fi; \
	done; exit $$status

# The browser for the HTML report's test is installed while the venv is (both wait on the network).
test:
	@$(MAKE) --no-print-directory browser & browser=$$!; \
	  $(MAKE) --no-print-directory install; installed=$$?; wait $$browser; exit $$installed
	$(PY) -m pytest tests -q -p no:cacheprovider -n 2

browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } || echo "chromium not installed: the browser test will skip"

# In full: each mutant graded on every question, that it loses points where it says and only there
# (`make test` validates with --named-only: the questions each mutant names).
validate: install
	@for manifest in assignments/*/assignment.toml; do \
	  $(PY) -m grader validate $$(basename $$(dirname $$manifest)) || exit 1; \
	done

# Long robustness runs, not part of `make test`: false fails of correct code over other seeds, and
# the same submissions graded 10 times to byte-identical reports.
robustness: install
	@for manifest in assignments/*/assignment.toml; do \
	  $(PY) -m grader validate $$(basename $$(dirname $$manifest)) --repeat 20 || exit 1; \
	done
	GRADER_DETERMINISM_RUNS=10 GRADER_STABILITY_RUNS=20 $(PY) -m pytest tests/test_resume.py tests/test_tp_nn_training_stability.py -q -p no:cacheprovider

benchmark: install
	$(PY) benchmarks/speed.py

clean:
	rm -rf reports build *.egg-info
