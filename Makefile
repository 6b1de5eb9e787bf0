# The two commands a new user needs: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test lint fmt browser nginx bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(BIN)/warroom demo

# Browser tests drive Debian's Chromium; a CJK font keeps Chinese from rendering as boxes in screenshots.
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	      || echo "could not install chromium: browser tests will skip"; \
	  else echo "chromium missing and not root: run 'sudo apt-get install chromium fonts-wqy-microhei'; browser tests will skip"; fi; \
	fi

# tests/sources/test_nginx_real.py runs Debian's nginx on a loopback port. Only the binary is wanted: a
# policy-rc.d that says 101 keeps apt from starting the system service (left as it is when one exists), and
# systemd is told not to start it at boot either.
nginx:
	@if ! command -v nginx >/dev/null && ! test -x /usr/sbin/nginx; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    made=; if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d \
	      && chmod +x /usr/sbin/policy-rc.d && made=1; fi; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null) \
	      || echo "could not install nginx: the real nginx log test will skip"; \
	    if [ -n "$$made" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl disable --now --quiet nginx 2>/dev/null || true; fi; \
	  else echo "nginx missing and not root: run 'sudo apt-get install nginx'; the real nginx log test will skip"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check warroom tests bench
	$(BIN)/ruff format --check warroom tests bench

fmt: $(STAMP)
	$(BIN)/ruff format warroom tests bench
	$(BIN)/ruff check --fix warroom tests bench

test: $(STAMP) browser nginx lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/simulate.py

clean:
	rm -rf $(VENV) .warroom
