"""Petition texts in the visitor's or recipient's language, with a fallback to the text as written."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from petitions import demo, services
from petitions.models import Petition
from tests.factories import UserFactory

from .factories import IncidentFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

GERMAN = {"title": "Entschädigung für die Störung", "text": "Wir verlangen eine Entschädigung.", "demand": "Ein Monat"}


def _french_petition(**kwargs):
    return PetitionFactory(
        title="Dédommagement pour la panne",
        text="Nous demandons un dédommagement.",
        demand="Un mois offert",
        language="fr",
        translations={"de": GERMAN},
        **kwargs,
    )


def _staff(client, group):
    user = UserFactory(username=f"{group}-1", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return user


def test_a_translated_field_is_shown_in_its_language_and_the_original_otherwise():
    petition = _french_petition()

    assert petition.text_in("title", "de") == GERMAN["title"]
    assert petition.text_in("title", "it") == "Dédommagement pour la panne"
    assert petition.text_in("answer", "de") == ""
    with translation.override("de"):
        assert (petition.localized_title, petition.localized_text, petition.localized_demand) == (
            GERMAN["title"],
            GERMAN["text"],
            GERMAN["demand"],
        )
        assert petition.text_is_translated is True
    with translation.override("en"):
        assert petition.localized_title == "Dédommagement pour la panne"
        assert (petition.text_is_translated, petition.localized_language) == (False, "fr")


def test_create_keeps_only_real_translations():
    petition = services.petition_create(
        title="Dédommagement",
        text="Texte",
        language="fr",
        incidents=[IncidentFactory()],
        translations={
            "fr": {"title": "ignored: French is the original"},
            "de": {"title": "  Entschädigung  ", "text": "", "demand": None},
            "it": {"title": "   "},
        },
    )

    assert Petition.objects.get(pk=petition.pk).translations == {"de": {"title": "Entschädigung"}}


@pytest.mark.parametrize(
    "translations",
    [
        {"xx": {"title": "?"}},
        {"de": {"slug": "entschaedigung"}},
        {"de": {"title": "x" * 201}},
        {"de": {"text": 42}},
        {"de": "not a mapping"},
    ],
)
def test_create_rejects_bad_translations_and_writes_nothing(translations):
    incident = IncidentFactory()

    with pytest.raises(ValidationError):
        services.petition_create(title="T", text="X", language="fr", incidents=[incident], translations=translations)

    assert Petition.objects.count() == 0


@pytest.mark.parametrize(
    ("language", "title", "text", "note"),
    [
        ("de", GERMAN["title"], GERMAN["text"], False),
        ("fr", "Dédommagement pour la panne", "Nous demandons un dédommagement.", False),
        ("it", "Dédommagement pour la panne", "Nous demandons un dédommagement.", True),
    ],
)
def test_public_pages_speak_the_visitors_language_with_the_original_as_fallback(client, language, title, text, note):
    petition = _french_petition()

    detail = client.get(reverse("petitions:detail", args=[petition.slug]), headers={"accept-language": language})
    listing = client.get(reverse("petitions:list"), headers={"accept-language": language})
    sign = client.get(reverse("petitions:sign", args=[petition.slug]), headers={"accept-language": language})

    assert f"<h1>{title}</h1>" in detail.text
    assert text in detail.text
    assert ('id="original-language-note"' in detail.text) is note
    assert f'lang="{"de" if language == "de" else "fr"}"' in detail.text
    assert title in listing.text
    assert title in sign.text
    other_title = "Dédommagement pour la panne" if language == "de" else GERMAN["title"]
    assert other_title not in detail.text


def test_answer_is_shown_and_mailed_in_each_signers_language(client, django_capture_on_commit_callbacks, mailoutbox):
    # given a French petition signed in French, German and Italian, and a manager
    petition = _french_petition()
    for lang in ("fr", "de", "it"):
        SignatureFactory(petition=petition, confirmed=True, email=f"{lang}@signer.example", language=lang)
    _staff(client, "manager")

    # when the answer is published with a German translation only
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:petitions_petition_answer", args=[petition.pk]),
            {"answer": "Un mois offert à tous.", "answer_de": "Ein Monat gratis für alle.", "answer_it": ""},
        )

    # then each signer reads it in their language, the Italian one in the original
    assert response.status_code == 302
    petition.refresh_from_db()
    assert petition.answer == "Un mois offert à tous."
    assert petition.translations["de"] == GERMAN | {"answer": "Ein Monat gratis für alle."}
    assert "it" not in petition.translations
    mails = {m.to[0]: m for m in mailoutbox}
    assert set(mails) == {"fr@signer.example", "de@signer.example", "it@signer.example"}
    assert "Ein Monat gratis für alle." in mails["de@signer.example"].body
    assert GERMAN["title"] in mails["de@signer.example"].subject
    assert "Un mois offert à tous." in mails["fr@signer.example"].body
    assert "Un mois offert à tous." in mails["it@signer.example"].body
    assert "Dédommagement pour la panne" in mails["it@signer.example"].subject
    page = client.get(reverse("petitions:detail", args=[petition.slug]), headers={"accept-language": "de"})
    assert "Ein Monat gratis für alle." in page.text


def test_confirmation_mail_uses_the_signers_language(django_capture_on_commit_callbacks, mailoutbox):
    from petitions import emails

    petition = _french_petition()
    signature = SignatureFactory(petition=petition, language="de")

    assert emails.confirmation_send(signature_id=signature.pk) is True

    assert GERMAN["title"] in mailoutbox[0].subject
    assert GERMAN["title"] in mailoutbox[0].body


def test_staff_edit_translations_in_the_admin_per_language(client):
    _staff(client, "agent")
    petition = _french_petition(status=Petition.Status.DRAFT)
    url = reverse("admin:petitions_petition_change", args=[petition.pk])

    form_page = client.get(url)
    assert form_page.status_code == 200
    assert 'name="title_de"' in form_page.text and 'name="answer_it"' in form_page.text
    assert GERMAN["text"] in form_page.text  # the stored translation fills its field

    response = client.post(
        url,
        {
            "slug": petition.slug,
            "title": petition.title,
            "language": "fr",
            "text": petition.text,
            "demand": petition.demand,
            "incidents": [i.pk for i in petition.incidents.all()],
            "title_de": "",
            "text_de": "",
            "demand_de": "",
            "title_it": "Risarcimento per il guasto",
            "text_it": "Chiediamo un risarcimento.",
            "title_fr": "ignored",
            "thresholds-TOTAL_FORMS": "0",
            "thresholds-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    petition.refresh_from_db()
    assert petition.translations == {
        "it": {"title": "Risarcimento per il guasto", "text": "Chiediamo un risarcimento."}
    }


def test_admin_refuses_a_translation_too_long_and_keeps_the_old_ones(client):
    _staff(client, "agent")
    petition = _french_petition(status=Petition.Status.DRAFT)

    response = client.post(
        reverse("admin:petitions_petition_change", args=[petition.pk]),
        {
            "slug": petition.slug,
            "title": petition.title,
            "language": "fr",
            "text": petition.text,
            "incidents": [i.pk for i in petition.incidents.all()],
            "title_de": "x" * 201,
            "thresholds-TOTAL_FORMS": "0",
            "thresholds-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    petition.refresh_from_db()
    assert petition.translations == {"de": GERMAN}


def test_seed_demo_writes_the_sfr_petition_in_four_languages(client):
    call_command("seed_demo")

    petition = Petition.objects.get(slug=demo.SLUG)
    assert petition.language == "fr"
    assert set(petition.translations) == {"de", "it", "en"}
    for code in ("de", "it", "en"):
        assert set(petition.translations[code]) == {"title", "text", "demand"}
    for code, title in [("fr", petition.title), ("de", "Petition für eine Entschädigung durch SFR"),
                        ("it", "Petizione per un risarcimento da parte di SFR"),
                        ("en", "Petition for compensation from SFR")]:  # fmt: skip
        page = client.get(reverse("petitions:detail", args=[demo.SLUG]), headers={"accept-language": code})
        assert f"<h1>{title}</h1>" in page.text


def test_the_admin_add_page_offers_a_translation_section_per_language(client):
    _staff(client, "manager")

    page = client.get(reverse("admin:petitions_petition_add"))

    assert page.status_code == 200
    for code in ("fr", "de", "it", "en"):
        assert f'name="text_{code}"' in page.text
    for language in ("French", "German", "Italian", "English"):
        assert f"Translation: {language}" in page.text
