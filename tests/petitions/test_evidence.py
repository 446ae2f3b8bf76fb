"""Staff download a signer's evidence; nobody else can, and it is never rendered or cached."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import BusinessFactory, ContactFactory, UserFactory

from .factories import SignatureFactory

pytestmark = pytest.mark.django_db

CONTENT = b"<html><script>alert(1)</script></html>"


def _signature_with_evidence():
    signature = SignatureFactory(confirmed=True)
    signature.evidence.save("invoice.html", ContentFile(CONTENT), save=True)
    return signature


def _login(client, *, staff=True, group=None, username="user-1"):
    user = UserFactory(username=username, is_staff=staff)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_staff_who_may_view_signatures_download_the_evidence_as_an_attachment(client):
    signature = _signature_with_evidence()
    _login(client, group="agent")

    response = client.get(reverse("petitions:evidence", args=[signature.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert response["Content-Disposition"] == 'attachment; filename="invoice.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["anonymous", "contact", "staff_without_permission", "signer_as_contact"])
def test_everyone_else_is_refused(client, who):
    signature = _signature_with_evidence()
    if who == "contact":
        client.force_login(ContactFactory(business=BusinessFactory(), user=UserFactory(username="alice")).user)
    elif who == "staff_without_permission":
        _login(client)
    elif who == "signer_as_contact":  # the signer logged in to the portal with the address they signed with
        contact = ContactFactory(email=signature.email, user=UserFactory(username="signer", email=signature.email))
        client.force_login(contact.user)

    response = client.get(reverse("petitions:evidence", args=[signature.pk]))

    assert response.status_code in (403, 404)
    assert CONTENT not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_a_refused_user_cannot_tell_whether_a_signature_exists(client):
    _login(client, group=None)
    signature = _signature_with_evidence()

    present = client.get(reverse("petitions:evidence", args=[signature.pk]))
    absent = client.get(reverse("petitions:evidence", args=[signature.pk + 1000]))

    assert present.status_code == absent.status_code == 403


def test_a_signature_without_evidence_or_with_a_lost_file_is_not_found(client):
    user = _login(client, group=None)
    user.user_permissions.add(Permission.objects.get(codename="view_signature"))
    without = SignatureFactory()
    lost = _signature_with_evidence()
    lost.evidence.storage.delete(lost.evidence.name)

    assert client.get(reverse("petitions:evidence", args=[without.pk])).status_code == 404
    assert client.get(reverse("petitions:evidence", args=[lost.pk])).status_code == 404


def test_only_get_is_allowed(client):
    signature = _signature_with_evidence()
    _login(client, group="agent")

    assert client.post(reverse("petitions:evidence", args=[signature.pk])).status_code == 405


def test_the_signature_admin_page_links_to_the_download(client):
    signature = _signature_with_evidence()
    _login(client, group="agent")

    page = client.get(reverse("admin:petitions_signature_change", args=[signature.pk]))

    assert page.status_code == 200
    url = reverse("petitions:evidence", args=[signature.pk])
    assert f'<a href="{url}" download>invoice' in page.text
