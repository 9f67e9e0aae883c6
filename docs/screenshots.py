"""Take the README screenshot (and a few more for review) from a running instance.

    make run                      # in another terminal
    .venv/bin/python docs/screenshots.py [--base-url http://127.0.0.1:8000] [--out docs]

Logs in with the demo login (DEMO_ADMIN_PASSWORD or the seed's default) in the system Chromium.
"""

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

# sellercloud.services.DEMO_ADMIN_DEFAULT_PASSWORD (not imported: that would need Django set up).
DEMO_ADMIN_DEFAULT_PASSWORD = "lumiere-demo-2026"

PAGES = {
    "screenshot-company-settings.png": "/companies/{company}/",
    "screenshot-home.png": "/",
    "screenshot-companies.png": "/companies/",
    "screenshot-users.png": "/users/",
    "screenshot-user-add.png": "/users/add/",
    "screenshot-company-edit.png": "/companies/{company}/edit/",
    "screenshot-invoice-settings.png": "/companies/{company}/invoice-settings/",
    "screenshot-dashboard.png": "/dashboard/",
    "screenshot-sync-log.png": "/sync-log/",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs", help="Folder for the PNGs.")
    parser.add_argument("--all", action="store_true", help="Every page, not only Company Settings.")
    parser.add_argument("--company", default="1")
    args = parser.parse_args()
    password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEMO_ADMIN_DEFAULT_PASSWORD
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(args.base_url + "/login/")
        if args.all:
            page.screenshot(path=str(out / "screenshot-login.png"))
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(args.base_url + "/")
        for name, path in PAGES.items():
            if not args.all and name != "screenshot-company-settings.png":
                continue
            page.goto(args.base_url + path.format(company=args.company))
            if name == "screenshot-company-settings.png":
                # Show the Actions menu open, as a user would see it.
                page.locator("main").get_by_role("button", name="Actions").click()
            page.screenshot(path=str(out / name))
            print(out / name)
        browser.close()


if __name__ == "__main__":
    main()
