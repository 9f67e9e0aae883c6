"""Browser tests: a real Chromium driven by Playwright (tests/browser/conftest.py has the page)."""

CHROMIUM = "/usr/bin/chromium"
