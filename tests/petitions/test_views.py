"""Public pages, signing over HTTP, confirmation and withdrawal links."""

from decimal import Decimal

import pytest
from django.urls import reverse

from petitions import tokens
from petitions.counting import tally_count
from petitions.models import Petition, Signature

from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Brunet",
    "email": "brunet@neuf.fr",
    "company": "Brunet SARL",
    "customer_number": "",
    "loss_amount": "2500.00",
    "loss_currency": "EUR",
    "hours_without_service": "170",
    "lines_affected": "2",
    "consent": "on",
    "website": "",
}


def test_list_shows_public_petitions_only_in_constant_queries(client, django_assert_num_queries):
    PetitionFactory.create_batch(2)
    PetitionFactory(status=Petition.Status.PENDING, title="Hidden one")
    with django_assert_num_queries(2):
        small = client.get(reverse("petitions:list"))
    PetitionFactory.create_batch(2)
    with django_assert_num_queries(2):
        large = client.get(reverse("petitions:list"))

    assert small.status_code == large.status_code == 200
    assert len(large.context["petitions"]) == 4
    assert "Hidden one" not in large.content.decode()


def test_detail_shows_count_losses_and_thresholds(client):
    petition = PetitionFactory(title="SFR e-mail outage")
    SignatureFactory.create_batch(2, petition=petition, confirmed=True, loss_amount=Decimal("1000"))
    tally_count()

    response = client.get(reverse("petitions:detail", args=[petition.slug]))

    assert response.status_code == 200
    assert response.context["tally"]["confirmed"] == 2
    assert "2000.00 EUR" in response.content.decode()


@pytest.mark.parametrize("status", [Petition.Status.PENDING, Petition.Status.DRAFT, Petition.Status.REJECTED])
def test_unpublished_petitions_are_not_found(client, status):
    petition = PetitionFactory(status=status)

    assert client.get(reverse("petitions:detail", args=[petition.slug])).status_code == 404
    assert client.get(reverse("petitions:count", args=[petition.slug])).status_code == 404


def test_count_endpoint_is_cached(client, django_assert_num_queries):
    petition = PetitionFactory()
    SignatureFactory(petition=petition, confirmed=True, loss_amount=Decimal("12.30"))
    tally_count()
    url = reverse("petitions:count", args=[petition.slug])

    first = client.get(url)
    with django_assert_num_queries(0):
        second = client.get(url)

    assert first.json() == second.json()
    assert first.json()["confirmed"] == 1
    assert first.json()["losses"] == {"EUR": "12.30"}
    assert first["Cache-Control"] == "public, max-age=2"


def test_sign_then_confirm_by_the_button_not_by_the_link(client, django_capture_on_commit_callbacks, mailoutbox):
    petition = PetitionFactory()
    url = reverse("petitions:sign", args=[petition.slug])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, VALID)

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.loss_amount, signature.hours_without_service, signature.lines_affected) == (
        Decimal("2500.00"),
        170,
        2,
    )
    confirm_url = next(line for line in mailoutbox[0].body.splitlines() if "/petitions/confirm/" in line)
    path = confirm_url.split("127.0.0.1:8000", 1)[-1].strip()
    # A mail scanner fetching the link confirms nothing.
    page = client.get(path)
    assert page.status_code == 200
    signature.refresh_from_db()
    assert signature.confirmed_at is None

    done = client.post(path)
    assert done.status_code == 303
    assert done["Location"] == f"/petitions/{petition.slug}/?confirmed=confirmed"
    assert "your signature is confirmed" in client.get(done["Location"]).content.decode()
    assert client.post(path)["Location"] == f"/petitions/{petition.slug}/?confirmed=already"
    tally_count()
    assert client.get(reverse("petitions:count", args=[petition.slug])).json()["confirmed"] == 1


def test_duplicate_signature_shows_a_message_and_offers_to_resend(client):
    petition = PetitionFactory()
    url = reverse("petitions:sign", args=[petition.slug])
    client.post(url, VALID)

    response = client.post(url, VALID | {"email": "Brunet+2@neuf.fr", "name": "Brunet again"})

    assert response.status_code == 200
    assert response.context["duplicate"] is True
    content = response.content.decode()
    assert "already signed" in content
    assert reverse("petitions:resend", args=[petition.slug]) in content
    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"loss_amount": "-1"},
        {"loss_amount": "10.999"},
        {"loss_amount": "1e40"},
        {"loss_currency": "USD"},
        {"name": "x" * 151},
        {"email": "not-an-email"},
        {"hours_without_service": "9000"},
        {"lines_affected": "-2"},
        {"consent": ""},
        {"customer_number": "C" * 21},
    ],
)
def test_bad_input_is_refused_with_a_message_and_stores_nothing(client, bad):
    petition = PetitionFactory()

    response = client.post(reverse("petitions:sign", args=[petition.slug]), VALID | bad)

    assert response.status_code == 200
    assert response.context["form"].errors
    assert Signature.objects.count() == 0


def test_disposable_address_gets_a_form_error(client):
    petition = PetitionFactory()

    response = client.post(reverse("petitions:sign", args=[petition.slug]), VALID | {"email": "x@yopmail.com"})

    assert "disposable" in str(response.context["form"].non_field_errors())
    assert Signature.objects.count() == 0


def test_honeypot_looks_like_success_and_stores_nothing(client):
    petition = PetitionFactory()

    response = client.post(reverse("petitions:sign", args=[petition.slug]), VALID | {"website": "spam"})

    assert response.status_code == 302
    assert Signature.objects.count() == 0


def test_closed_petition_shows_it_is_closed(client):
    petition = PetitionFactory(status=Petition.Status.CLOSED)

    response = client.post(reverse("petitions:sign", args=[petition.slug]), VALID)

    assert response.status_code == 200
    assert "not open for signatures" in response.content.decode()
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("name", ["petitions:confirm", "petitions:withdraw"])
def test_tampered_token_gets_a_clear_page(client, name):
    signature = SignatureFactory()
    action = tokens.CONFIRM if name.endswith("confirm") else tokens.WITHDRAW
    token = tokens.make(signature_id=signature.pk, action=action)
    tampered = token[:-3] + ("xyz" if not token.endswith("xyz") else "abc")

    for method in (client.get, client.post):
        response = method(reverse(name, args=[tampered]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    signature.refresh_from_db()
    assert (signature.confirmed_at, signature.withdrawn_at) == (None, None)


def test_expired_confirmation_link(client, settings):
    signature = SignatureFactory()
    token = tokens.make(signature_id=signature.pk, action=tokens.CONFIRM)
    settings.PETITIONS_CONFIRM_DAYS = -1

    response = client.post(reverse("petitions:confirm", args=[token]))

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    signature.refresh_from_db()
    assert signature.confirmed_at is None


def test_withdraw_by_link(client):
    signature = SignatureFactory(confirmed=True)
    tally_count()
    url = reverse("petitions:withdraw", args=[tokens.make(signature_id=signature.pk, action=tokens.WITHDRAW)])

    assert client.get(url).status_code == 200
    signature.refresh_from_db()
    assert signature.withdrawn_at is None
    assert client.post(url).status_code == 200
    tally_count()

    signature.refresh_from_db()
    assert signature.withdrawn_at is not None
    assert client.get(reverse("petitions:count", args=[signature.petition.slug])).json()["confirmed"] == 0


def test_business_proposes_a_petition_about_an_outage_that_hit_it(client):
    from tests.factories import ContactFactory, SubscriptionFactory, UserFactory

    from .factories import IncidentFactory

    hit = IncidentFactory(title="Our outage")
    IncidentFactory(title="Someone else's outage")
    subscription = SubscriptionFactory(service=hit.services.get(), region=hit.regions.get())
    user = UserFactory()
    ContactFactory(business=subscription.business, user=user)
    client.force_login(user)

    page = client.get(reverse("petitions:propose"))
    assert [i.title for i in page.context["form"].fields["incident"].queryset] == ["Our outage"]
    other = IncidentFactory()
    refused = client.post(reverse("petitions:propose"), {"incident": other.pk, "title": "T", "text": "X"})
    assert refused.status_code == 200
    assert Petition.objects.count() == 0

    response = client.post(reverse("petitions:propose"), {"incident": hit.pk, "title": "Compensation", "text": "Pay."})

    assert response.status_code == 302
    petition = Petition.objects.get()
    assert (petition.status, petition.proposed_by, list(petition.incidents.all())) == (
        Petition.Status.PENDING,
        subscription.business,
        [hit],
    )


def test_proposing_needs_a_business_contact(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())

    assert client.get(reverse("petitions:propose")).status_code == 403
    assert client.post(reverse("petitions:propose"), {"title": "T"}).status_code == 403


def test_evidence_upload_is_kept_and_bad_files_are_refused(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    petition = PetitionFactory()
    url = reverse("petitions:sign", args=[petition.slug])
    exe = SimpleUploadedFile("invoice.exe", b"MZ...", content_type="application/octet-stream")
    refused = client.post(url, VALID | {"evidence": exe})
    assert "evidence" in refused.context["form"].errors
    assert Signature.objects.count() == 0

    pdf = SimpleUploadedFile("lost-orders.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    response = client.post(url, VALID | {"evidence": pdf})

    assert response.status_code == 302
    signature = Signature.objects.get()
    assert signature.evidence.name.endswith(".pdf")
    assert signature.evidence.read() == b"%PDF-1.4 demo"


def test_confirmation_link_without_slug_still_works(client):
    signature = SignatureFactory()
    url = reverse("petitions:confirm", args=[tokens.make(signature_id=signature.pk, action=tokens.CONFIRM)])

    response = client.post(url)

    assert response["Location"] == f"/petitions/{signature.petition.slug}/?confirmed=confirmed"
    signature.refresh_from_db()
    assert signature.confirmed_at is not None


def test_confirmation_of_a_deleted_signature_gets_a_clear_page(client):
    signature = SignatureFactory()
    url = reverse("petitions:confirm", args=[tokens.make(signature_id=signature.pk, action=tokens.CONFIRM)])
    signature.delete()

    response = client.post(url)

    assert response.status_code == 404
    assert "no longer exists" in response.content.decode()
