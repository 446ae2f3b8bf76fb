"""The shared (cached) status page in a real browser: its language switch, its stylesheet, no CSP violation."""

import pytest

from tests.factories import IncidentFactory, RegionFactory, ServiceFactory

pytestmark = pytest.mark.browser


def test_status_page_switches_language_and_breaks_no_policy(browser_page, browser_console):
    # Given an outage in progress, and the page already cached for anonymous visitors in English
    IncidentFactory(title="Calls failing", services=[ServiceFactory(name="Business phone")], regions=[RegionFactory()])
    browser_page.goto("/status/")
    assert browser_page.locator("html").get_attribute("lang") == "en"
    assert browser_page.locator(".incident-card h3").first.inner_text() == "Calls failing"

    # When the visitor picks Deutsch in the switcher (a GET form: the shared page carries no CSRF token)
    browser_page.select_option("#language-select", "de")
    with browser_page.expect_navigation():
        browser_page.click(".lang-switch button[type=submit]")

    # Then the status page comes back in German, with its own stylesheet and uptime bars, and nothing was blocked
    assert browser_page.url.endswith("/status/")
    assert browser_page.locator("html").get_attribute("lang") == "de"
    assert browser_page.locator("#language-select").input_value() == "de"
    assert browser_page.locator(".uptime-day").count() == 90
    bar_colour = browser_page.evaluate("getComputedStyle(document.querySelector('.uptime-day')).backgroundColor")
    assert bar_colour not in ("", "rgba(0, 0, 0, 0)")
    assert browser_console == []
