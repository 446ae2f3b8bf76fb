"""Done when: a contact files a complaint with a file, an agent triages it in admin, the contact gets the e-mail
and sees the reply. Chromium driven by Playwright against the live server."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from complaints.models import Complaint, Status
from tests.factories import ContactFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _login(page, username: str, password: str, path: str) -> None:
    page.goto(path)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")


def test_contact_files_agent_triages_contact_sees_reply(browser_page, browser_console, tmp_path, settings):
    settings.ADMIN_REQUIRE_OTP = False
    page = browser_page
    subscription = SubscriptionFactory(site_label="Lausanne office", business__language="en")
    contact_user = UserFactory(username="office@dupont.example", email="office@dupont.example")
    contact = ContactFactory(
        business=subscription.business, user=contact_user, email="office@dupont.example", language="en"
    )
    agent = UserFactory(username="alice", email="alice@operator.example", is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    evidence = tmp_path / "bounce.pdf"
    evidence.write_bytes(PDF)

    # The contact logs in with a password and files a complaint with a file.
    _login(page, "office@dupont.example", "correct-horse-battery", "/accounts/login/?next=/complaints/new/")
    assert page.url.endswith("/complaints/new/")
    page.select_option("select[name=category]", "cannot_receive_email")
    page.evaluate(
        "document.querySelector('input[name=since]').value = new Date(Date.now() - 3600e3).toISOString().slice(0, 16)"
    )
    page.fill("textarea[name=description]", "No e-mail has arrived since this morning.")
    page.fill("input[name=loss_amount]", "450")
    page.set_input_files("input[name=files]", str(evidence))
    with page.expect_navigation():
        page.click("form.complaint-form button[type=submit]")

    complaint = Complaint.objects.get()
    assert complaint.contact == contact
    assert page.url.endswith(f"/complaints/{complaint.reference}/")
    assert complaint.reference in page.locator(".messages").inner_text()
    assert page.locator("a", has_text="bounce.pdf").count() == 1

    # An agent triages it in the admin: status "in progress" with a canned answer.
    agent_page = page.context.browser.new_context(base_url=page.url.split("/complaints/")[0]).new_page()
    _login(agent_page, "alice", "correct-horse-battery", "/admin/login/?next=/admin/")
    agent_page.goto(f"/admin/complaints/complaint/?q={complaint.reference}")
    agent_page.click(f"text={complaint.reference}")
    agent_page.select_option("form:has(input[name=what][value=status]) select[name=to_status]", "in_progress")
    agent_page.select_option("form:has(input[name=what][value=status]) select[name=canned]", "investigating")
    agent_page.fill(
        "form:has(input[name=what][value=status]) textarea[name=public_reply]", "A technician checks the MX."
    )
    with agent_page.expect_navigation():
        agent_page.click("form:has(input[name=what][value=status]) input[type=submit]")
    assert "Status changed" in agent_page.content()
    agent_page.context.close()

    complaint.refresh_from_db()
    assert complaint.status == Status.IN_PROGRESS

    # The contact receives the update e-mail and sees the reply on the complaint page.
    updates = [m for m in mail.outbox if m.to == ["office@dupont.example"] and "In progress" in m.subject]
    assert len(updates) == 1
    assert "A technician checks the MX." in updates[0].body
    page.reload()
    timeline = page.locator(".timeline").inner_text()
    assert "Our technicians are investigating the problem." in timeline
    assert "A technician checks the MX." in timeline
    assert re.search(r"Status: In progress", timeline)
    assert browser_console == []
