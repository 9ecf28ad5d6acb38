"""The operator console in a real browser: Debian chromium + chromium-driver through Selenium.
Screenshots of each page go to docs/screens/hub/ (looked at; see docs/hub.md)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.hub.helpers import RunningHub
from tests.hub.seed import PASSWORD

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens" / "hub"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver_path, chromium = shutil.which("chromedriver"), shutil.which("chromium")
    if not driver_path or not chromium:
        pytest.fail("chromium and chromium-driver are missing: run scripts/ensure-system.sh (make test)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--disable-dev-shm-usage",
        "--lang=vi",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def shot(browser: webdriver.Chrome, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, max(700, min(2600, int(height) + 160)))
    browser.save_screenshot(str(SCREENS / f"{name}.png"))


def _left_the_page(element: WebElement) -> Callable[[webdriver.Chrome], bool]:
    """``staleness_of`` that also counts chromedriver's mid-navigation answer for an element of the old
    page ("Node with given id does not belong to the document", an unknown error, not a stale one)."""

    def gone(_: webdriver.Chrome) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return gone


def click(browser: webdriver.Chrome, element: WebElement) -> None:
    """Click and wait for the next page (every console action is a full page load)."""
    element.click()
    WebDriverWait(browser, 15).until(_left_the_page(element))


def sign_in(browser: webdriver.Chrome, hub: RunningHub, user: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{hub.url}/console/login")
    browser.find_element(By.ID, "username").send_keys(user)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click(browser, browser.find_element(By.ID, "sign-in"))


def test_console_pages(browser: webdriver.Chrome, console_fleet: tuple[RunningHub, str]) -> None:
    hub, _ = console_fleet
    browser.delete_all_cookies()
    browser.get(f"{hub.url}/console/")
    assert browser.current_url.endswith("/console/login")  # no session: the sign-in page
    browser.find_element(By.ID, "username").send_keys("admin")
    browser.find_element(By.ID, "password").send_keys("not the password")
    click(browser, browser.find_element(By.ID, "sign-in"))
    assert "Sai tên đăng nhập" in browser.page_source
    shot(browser, "01-sign-in-failed-vi")

    sign_in(browser, hub, "admin")
    assert browser.current_url.endswith("/console/")
    rows = browser.find_elements(By.CSS_SELECTOR, "#fleet tr")
    assert len(rows) == 1 + 6
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.plot")) == 4
    shot(browser, "02-fleet-vi")
    browser.get(f"{hub.url}/console/?lang=en")
    assert "Verifications per hour per site" in browser.page_source
    shot(browser, "03-fleet-en")

    click(browser, browser.find_element(By.LINK_TEXT, "bv-bach-mai-k1"))
    assert "Recent heartbeats" in browser.page_source and "ACS ACR1252U" in browser.page_source
    shot(browser, "04-kiosk-detail-en")

    browser.get(f"{hub.url}/console/dead")
    before = len(browser.find_elements(By.CSS_SELECTOR, "#dead tr"))
    shot(browser, "05-dead-letters-en")
    click(browser, browser.find_elements(By.CSS_SELECTOR, "#dead button")[0])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#dead tr")) == before - 1

    browser.get(f"{hub.url}/console/tokens?lang=vi")
    click(browser, browser.find_element(By.ID, "issue"))
    token = browser.find_element(By.ID, "token").text
    assert token.startswith("cccd-enrol-")
    shot(browser, "06-enrolment-token-vi")

    browser.get(f"{hub.url}/console/audit")
    text = browser.find_element(By.ID, "audit").text
    assert "dead_letter.retried" in text and "enrol_token.issued" in text and "console.signed_in" in text
    shot(browser, "07-audit-vi")
    click(browser, browser.find_element(By.ID, "logout"))
    assert browser.current_url.endswith("/console/login")


def test_site_operator_sees_only_its_site(
    browser: webdriver.Chrome, console_fleet: tuple[RunningHub, str]
) -> None:
    hub, _ = console_fleet
    sign_in(browser, hub, "bachmai")
    browser.get(f"{hub.url}/console/?lang=vi")
    table = browser.find_element(By.ID, "fleet").text
    assert "bv-bach-mai-k1" in table and "nh-chi-nhanh" not in table and "ks-hoan-kiem" not in table
    shot(browser, "08-fleet-site-operator-vi")
    browser.get(f"{hub.url}/console/kiosks/ks-hoan-kiem-k1")
    assert browser.find_element(By.ID, "message").text == "404"
