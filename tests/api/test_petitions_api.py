"""Petitions by API: sign once, confirm with the e-mailed token; staff read signatures; decisions."""

from petitions import tokens
from petitions.models import CompensationDecision, Signature

from .scenario import build

SIGN = {"name": "Paul Durand", "email": "paul@beta.example", "loss_amount": "120.50", "loss_currency": "CHF"}


def test_sign_then_confirm(world, django_capture_on_commit_callbacks):
    built = build(world)

    signed = world.client("anonymous").post(f"/api/petitions/{built.petition.slug}/sign/", SIGN, format="json")
    again = world.client("anonymous").post(f"/api/petitions/{built.petition.slug}/sign/", SIGN, format="json")

    assert (signed.status_code, again.status_code) == (202, 202)
    assert signed.json() == again.json()
    signature = Signature.objects.get(email="paul@beta.example")
    token = tokens.make(signature_id=signature.pk, action=tokens.CONFIRM)
    confirmed = world.client("anonymous").post("/api/petitions/confirm/", {"token": token}, format="json")
    twice = world.client("anonymous").post("/api/petitions/confirm/", {"token": token}, format="json")
    assert (confirmed.json(), twice.json()) == ({"result": "confirmed"}, {"result": "already"})
    signature.refresh_from_db()
    assert signature.confirmed_at is not None


def test_a_bad_confirmation_token_is_400(world):
    response = world.client("anonymous").post("/api/petitions/confirm/", {"token": "forged"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"token": ["This link is not valid."]}


def test_signing_a_disposable_address_is_refused(world):
    built = build(world)

    response = world.client("anonymous").post(
        f"/api/petitions/{built.petition.slug}/sign/", {**SIGN, "email": "x@mailinator.com"}, format="json"
    )

    assert response.status_code == 400
    assert Signature.objects.filter(email="x@mailinator.com").count() == 0


def test_staff_read_signatures_with_filters(world):
    built = build(world)

    rows = world.client("agent").get(f"/api/signatures/?petition={built.petition.slug}&confirmed=false").json()

    assert [s["email"] for s in rows["results"]] == ["claire@alpha.example"]


def test_business_answers_its_offer_and_not_another(world):
    built = build(world)

    accepted = world.client("contact_a").post(
        f"/api/compensation-decisions/{built.decision_offered.pk}/answer/", {"action": "accept"}, format="json"
    )

    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted"
    assert "proposed_amount" not in accepted.json()
    built.decision_offered.refresh_from_db()
    assert built.decision_offered.answered_by == world.contact_a.user
    assert world.client("contact_b").get("/api/compensation-decisions/").json()["results"] == []


def test_offer_over_the_limit_waits_for_approval(world, settings):
    settings.PETITIONS_COMPENSATION_APPROVAL_LIMIT = "10"
    built = build(world)

    response = world.client("manager").post(
        f"/api/compensation-decisions/{built.decision_proposed.pk}/offer/", {"amount": "40.00"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == CompensationDecision.Status.AWAITING_APPROVAL


def test_petition_texts_come_in_the_requested_language(world):
    built = build(world)
    petition = built.petition
    petition.language = "fr"
    petition.translations = {"de": {"title": "Entschädigung für die Störung", "text": "Wir verlangen eine Gutschrift."}}
    petition.save(update_fields=["language", "translations"])
    client = world.client("anonymous")

    german = client.get(f"/api/petitions/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="de").json()
    italian = client.get(f"/api/petitions/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="it").json()
    listed = client.get("/api/petitions/", HTTP_ACCEPT_LANGUAGE="de").json()["results"]

    assert (german["title"], german["text"], german["language"]) == (
        "Entschädigung für die Störung", "Wir verlangen eine Gutschrift.", "de")  # fmt: skip
    assert (italian["title"], italian["text"], italian["language"]) == (petition.title, petition.text, "fr")
    assert [p["title"] for p in listed if p["slug"] == petition.slug] == ["Entschädigung für die Störung"]
