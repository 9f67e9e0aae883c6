"""The browser tests' page: the system Chromium driven by Playwright, skipped where there is none.

Every test fails on a Content-Security-Policy violation (a blocked inline script or style, an
eval, a resource from elsewhere) and on an uncaught script error, on any page it visited: a page
that breaks under the policy is a broken page (issue 13).
"""

import os
from collections.abc import Iterator

import pytest

from tests.browser import CHROMIUM

# Chromium logs every violation on the console ("Refused to ... because it violates the following
# Content Security Policy directive ..."); the event adds which directive and what was blocked.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " blocked " +
    (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def browser_viewport() -> dict[str, int]:
    """The window size; a module overrides this fixture for a larger one."""
    return {"width": 1280, "height": 800}


@pytest.fixture
def page(browser_viewport: dict[str, int]) -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        # en-US, where a browser date input shows mm/dd/yyyy: ours must show dd/mm/yyyy anyway.
        context = browser.new_context(viewport=browser_viewport, locale="en-US")
        context.add_init_script(REPORT_VIOLATIONS)
        context.on(
            "console",
            lambda message: (
                problems.append(f"{message.page.url if message.page else '?'}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        context.on("weberror", lambda error: problems.append(f"{error.page.url if error.page else '?'}: {error.error}"))
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield page
        context.close()
        browser.close()
    assert not problems, "Content-Security-Policy violations or script errors:\n" + "\n".join(problems)
