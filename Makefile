# sanshi — two commands: `make run` and `make test` (see README.md).
# the interpreter .venv is built with: empty = tools/find-python picks one (the distribution's first)
PYTHON ?=
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# pytest's arguments in make test: two processes (pytest-xdist), one per core; PYTEST_ARGS= runs one
PYTEST_ARGS ?= -n 2

.PHONY: run test setup lint migrate demo worker server bench clean

$(STAMP): pyproject.toml requirements/constraints.txt
	@echo "==> 建立虚拟环境并安装依赖（首次约需 1–2 分钟）"
	@test -x $(BIN)/python || { py='$(PYTHON)'; [ -n "$$py" ] || py=$$(sh tools/find-python) || exit 1; \
	  echo "==> Python: $$py ($$($$py -c 'import platform; print(platform.python_version())'))"; "$$py" -m venv $(VENV); }
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet --progress-bar off -c requirements/constraints.txt -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

migrate: setup
	@mkdir -p var
	@$(BIN)/sanshi migrate --noinput -v 0
	@echo "==> 数据库已就绪"

demo: migrate
	@$(BIN)/sanshi demo --if-empty

run: demo
	@$(BIN)/sanshi triage ensure-model || true
	@echo "==> 启动 Web 服务 http://$(HOST):$(PORT)/ 与后台 worker（Ctrl-C 同时停止）"
	@$(BIN)/sanshi worker & worker=$$!; \
	  $(BIN)/uwsgi --ini uwsgi.ini --http-socket $(HOST):$(PORT) --processes 2 --threads 4 & web=$$!; \
	  trap 'kill $$worker $$web 2>/dev/null; wait; exit 0' INT TERM; \
	  trap 'kill $$worker $$web 2>/dev/null' EXIT; \
	  wait $$web

test: setup
	@$(BIN)/ruff check .
	@$(BIN)/lint-imports --no-cache >/dev/null 2>&1 || $(BIN)/lint-imports --no-cache  # the layers (pyproject.toml)
	@$(BIN)/deptry . >/dev/null 2>&1 || $(BIN)/deptry .  # every dependency declared and used
	@$(BIN)/mypy --no-incremental --no-error-summary || (echo "mypy: 类型检查未通过"; exit 1)
	@mkdir -p var  # the migration check reads the history from the default database
	@$(BIN)/sanshi makemigrations --check --dry-run -v 0 || (echo "缺少迁移文件：请运行 sanshi makemigrations"; exit 1)
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: setup
	@$(BIN)/ruff check .
	@$(BIN)/lint-imports --no-cache
	@$(BIN)/mypy

bench: setup
	@$(BIN)/python bench/intake.py

clean:
	rm -rf var/test-media .pytest_cache
