"""Headless Chromium for the browser tests (Debian's ``chromium`` and ``chromium-driver``).

``scripts/check.sh`` installs both where they are missing.  Elsewhere point
``IMPACTBOND_CHROMIUM`` and ``IMPACTBOND_CHROMEDRIVER`` at a Chromium and its
driver.  The browser starts headless, with no background networking and no
component updates, in a fresh profile; every page is loaded from a file, and a
test fails when a page logs a console error or makes any network request.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Selenium never looks for (or downloads) a driver of its own here.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)


def _find(env: str, names: tuple[str, ...]) -> str:
    given = os.environ.get(env)
    if given:
        return given
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError(
        f"{names[0]} is not installed: run scripts/check.sh (it installs Debian's chromium and "
        f"chromium-driver) or set {env}"
    )


class Browser:
    """A headless Chromium page with its console and network logs."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def load(self, path: Path) -> tuple[list[str], list[str]]:
        """Open ``path``; return the console errors and the URLs the page requested."""
        self.driver.get_log("browser")  # forget earlier pages
        self.driver.get_log("performance")
        self.driver.get(path.resolve().as_uri())
        self.driver.execute_script("return document.readyState")
        errors = [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry["level"] in ("SEVERE", "ERROR")
        ]
        requested = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        return errors, requested

    def text(self, selector: str) -> list[str]:
        """The visible text of every element that matches a CSS selector."""
        from selenium.webdriver.common.by import By

        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, selector)]

    def pdf_text(self) -> list[str]:
        """Print the page to PDF as a reader would (A4, the page's CSS); the text of each page."""
        from pypdf import PdfReader

        printed = self.driver.execute_cdp_cmd(
            "Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True}
        )
        reader = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
        return [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _find("IMPACTBOND_CHROMIUM", ("chromium", "chromium-browser"))
    profile = tempfile.mkdtemp(prefix="impactbond-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1600"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    service = Service(executable_path=_find("IMPACTBOND_CHROMEDRIVER", ("chromedriver",)))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
