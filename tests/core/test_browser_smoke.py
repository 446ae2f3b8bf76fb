import pytest
from django.utils import translation

pytestmark = pytest.mark.browser


def test_home_page_switches_to_french_with_the_language_switcher(browser_page, browser_console, tmp_path):
    # Given the home page in English
    browser_page.goto("/")
    assert browser_page.locator("html").get_attribute("lang") == "en"

    # When the visitor picks Français in the header's switcher and submits it
    browser_page.select_option("#language-select", "fr")
    with browser_page.expect_navigation():
        browser_page.click(".lang-switch button[type=submit]")

    # Then the same page comes back in French, and stays French on the next visit
    with translation.override("fr"):
        heading = translation.gettext("Outage Tracker")
    assert browser_page.locator("html").get_attribute("lang") == "fr"
    assert browser_page.locator("h1").inner_text() == heading
    assert browser_page.locator("#language-select").input_value() == "fr"
    browser_page.goto("/")
    assert browser_page.locator("html").get_attribute("lang") == "fr"
    screenshot = tmp_path / "home-fr.png"
    browser_page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The stylesheet loaded and nothing broke the Content-Security-Policy.
    assert browser_page.evaluate("document.styleSheets.length") >= 1
    assert browser_console == []
