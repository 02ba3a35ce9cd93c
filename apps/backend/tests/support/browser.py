"""Headless Chromium driven by Selenium (Debian's `chromium` + `chromium-driver`), with the
network cut to loopback: every other name fails to resolve and every other connection goes to
a proxy nobody listens on. Tests skip with a reason when either binary is missing."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = next(
    (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
)
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = (
    "no Chromium and chromedriver on this machine (apt-get install -y chromium chromium-driver)"
    if CHROMIUM is None or CHROMEDRIVER is None
    else None
)
#: Where screenshots of each console screen go when set (docs/img/ for the README).
SCREENSHOTS = os.environ.get("SCRIBE_CONSOLE_SCREENSHOTS")

ARGUMENTS = (
    "--headless",
    "--no-sandbox",  # tests may run as root, where the sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
    "--window-size=1400,1000",
)


@contextmanager
def chromium(profile: Path, language: str | None = None) -> Iterator[Any]:
    # Selenium Manager would look for drivers online; the system's are given explicitly.
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    assert CHROMIUM is not None and CHROMEDRIVER is not None
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (*ARGUMENTS, f"--user-data-dir={profile}"):
        options.add_argument(argument)
    if language is not None:  # the browser's Accept-Language, as a writer's would send it
        options.add_argument(f"--lang={language}")
        options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """Severe browser log lines: CSP violations, failed loads, script errors."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver: Any, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"console-{name}.png"))


def wait(driver: Any, css: str, within: float = 60) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, within, poll_frequency=0.1).until(
        lambda d: (found := d.find_elements(By.CSS_SELECTOR, css)) and found[0]
    )


def until(driver: Any, check: Any, within: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, within, poll_frequency=0.1).until(check)


def submit(driver: Any, css: str, before: str = "") -> None:
    """Click a form's button and wait for the page the form leads to (a marker set on the old
    page is gone). Found and clicked in one script, after `before` (form edits, in the same
    script): the page's live panels may be swapped at any moment, so an element found earlier
    can be a detached copy, and an edit made in an earlier script can be lost."""
    driver.execute_script(
        before + "window.__old_page = true; document.querySelector(arguments[0]).click()", css
    )
    until(
        driver,
        lambda d: d.execute_script(
            "return window.__old_page === undefined && document.readyState === 'complete'"
        ),
    )


def text_of(driver: Any, css: str, attribute: str | None = None) -> str | None:
    """Read a live element in one script (a refresh may replace it between two calls)."""
    found: str | None = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? (arguments[1] ? e.getAttribute(arguments[1]) : e.textContent.trim()) : null",
        css,
        attribute,
    )
    return found


def wait_count(driver: Any, css: str, expected: int) -> None:
    until(driver, lambda d: count(d, css) == expected)


def count(driver: Any, css: str) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, css))
