"""Headless Chromium for the browser tests (Debian's chromium and chromium-driver, which
scripts/test.py installs): one way to start it, so every browser test sees the same browser."""

from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def headless_chrome(window: str, browser_log: bool = False):
    """A started driver with a `window` of "WIDTHxHEIGHT" ("1280,1600" in Chromium's form); with
    `browser_log`, the page's console is kept for driver.get_log("browser"). The caller quits it."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("Chromium is missing: scripts/test.py installs Debian's chromium and chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", f"--window-size={window}"):
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
