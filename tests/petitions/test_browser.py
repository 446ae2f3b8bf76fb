"""In a real browser: sign, confirm from the e-mail, the count rises; a duplicate leaves it unchanged."""

import re

import pytest
from django.core import mail

from petitions.counting import tally_count
from petitions.models import Signature

from .factories import PetitionFactory

pytestmark = pytest.mark.browser


def _fill(page, *, email):
    page.locator("#id_name").fill("Fabien H.")
    page.locator("#id_email").fill(email)
    page.locator("#id_company").fill("Atelier H")
    page.locator("#id_loss_amount").fill("2400.00")
    page.locator("#id_loss_currency").select_option("EUR")
    page.locator("#id_hours_without_service").fill("170")
    page.locator("#id_lines_affected").fill("2")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Sign", exact=True).click()


def test_sign_confirm_by_email_and_duplicate(browser_page, browser_console, mailoutbox):
    page = browser_page
    petition = PetitionFactory(title="SFR e-mail outage compensation")
    page.goto(f"/petitions/{petition.slug}/")
    assert page.locator("#signature-count").inner_text() == "0"

    page.get_by_role("link", name="Sign this petition").click()
    _fill(page, email="fabien.h@atelier-h.example")
    page.wait_for_url(f"**/petitions/{petition.slug}/?signed=yes")
    assert "Open the link in the e-mail" in page.locator("#signed-notes").inner_text()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/petitions/confirm/\S+/", mail.outbox[0].body).group(0)
    path = "/petitions/" + link.split("/petitions/", 1)[1]
    page.goto(path)
    # Opening the link (as a mail scanner would) confirms nothing; the button does.
    assert Signature.objects.get().confirmed_at is None
    page.get_by_role("button", name="Confirm my signature").click()
    page.wait_for_url(f"**/petitions/{petition.slug}/?confirmed=confirmed")
    assert "your signature is confirmed" in page.locator("#signed-notes").inner_text()

    tally_count()  # the periodic counter
    page.goto(f"/petitions/{petition.slug}/")
    assert page.locator("#signature-count").inner_text() == "1"

    page.goto(f"/petitions/{petition.slug}/sign/")
    _fill(page, email="Fabien.H+again@atelier-h.example")
    assert "already signed this petition" in page.locator("#duplicate-message").inner_text()
    tally_count()
    page.goto(f"/petitions/{petition.slug}/")
    assert page.locator("#signature-count").inner_text() == "1"
    assert Signature.objects.count() == 1
    assert len(mail.outbox) == 1
    assert browser_console == []
