"""Public pages: cached for anonymous visitors with zero queries, corrections shown, valid Atom, escaped text."""

import datetime as dt

import feedparser
import pytest
from django.utils import timezone

from tests.factories import IncidentFactory, RegionFactory, ServiceFactory, UserFactory
from tests.incidents.factories import IncidentUpdateFactory
from tracker.incidents import services

pytestmark = pytest.mark.django_db

NASTY = '<script>alert("x")</script> & <b>bold</b>'


@pytest.fixture(autouse=True)
def _no_expansion(monkeypatch):
    from tracker.notifications import tasks

    monkeypatch.setattr(tasks.expand_job, "delay_on_commit", lambda *args, **kwargs: None)


@pytest.fixture
def swisscom():
    """The story: 'Business Connect outage' declared at 09:00, corrected at 10:05, resolved at 10:15."""
    phone = ServiceFactory(slug="business-phone", name="Business phone")
    regions = [RegionFactory(code="CH-VD", name="Vaud"), RegionFactory(code="CH-ZH", name="Zürich")]
    day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)
    incident = services.incident_declare(
        title="Business Connect outage",
        services=[phone],
        regions=regions,
        started_at=day.replace(hour=9),
        declared_at=day.replace(hour=9, minute=10),
        message="Business Connect customers cannot call.",
        language="en",
        translations={"fr": "Les clients Business Connect ne peuvent pas téléphoner."},
        notify=False,
    )
    services.incident_correct(
        incident=incident,
        changes={"title": "Nationwide telephony outage"},
        notify=False,
        corrected_at=day.replace(hour=10, minute=5),
    )
    services.incident_resolve(
        incident=incident, resolved_at=day.replace(hour=10, minute=15), message="Restored.", language="en", notify=False
    )
    return incident


def test_detail_shows_the_swisscom_correction(client, swisscom):
    response = client.get(f"/status/incidents/{swisscom.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Nationwide telephony outage</h1>" in html
    assert "Corrected at 10:05" in html
    assert "<del>Business Connect outage</del>" in html
    assert "Business phone" in html and "Vaud" in html and "Zürich" in html
    assert "100 %" in html


def test_detail_in_french_uses_the_staff_translation(client, swisscom):
    client.cookies["django_language"] = "fr"
    html = client.get(f"/status/incidents/{swisscom.pk}/").content.decode()
    assert "Les clients Business Connect ne peuvent pas téléphoner." in html
    assert "Business Connect customers cannot call." not in html


def test_anonymous_hits_are_served_from_cache_with_zero_queries(client, swisscom, django_assert_num_queries):
    urls = [
        "/status/",
        f"/status/incidents/{swisscom.pk}/",
        "/status/feed.atom",
        "/status/services/business-phone/feed.atom",
        "/status/history/",
    ]
    for url in urls:
        assert client.get(url).status_code == 200  # fills the cache

    for url in urls:
        with django_assert_num_queries(0):
            response = client.get(url + "?nocache=1&utm=x")  # a query string cannot bypass the cache
        assert response.status_code == 200
        assert "csrftoken" not in response.cookies
        assert "sessionid" not in response.cookies


def test_cache_is_per_language(client, swisscom):
    english = client.get("/status/").content.decode()
    client.cookies["django_language"] = "de"
    german = client.get("/status/").content.decode()
    assert '<html lang="en">' in english
    assert '<html lang="de">' in german


def test_publish_invalidates_the_cached_page(client, django_capture_on_commit_callbacks):
    incident = IncidentFactory(title="Fixed e-mail down")
    assert "Identified" not in client.get(f"/status/incidents/{incident.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update_publish(
            incident=incident, status="identified", message="Server migration.", language="en", notify=False
        )

    html = client.get(f"/status/incidents/{incident.pk}/").content.decode()
    assert "Server migration." in html


def test_logged_in_visitors_are_not_served_the_shared_page(client, swisscom):
    client.get("/status/")  # shared page cached
    client.force_login(UserFactory(is_staff=True))
    html = client.get("/status/").content.decode()
    assert "Admin" in html  # rendered for this user, not the cached anonymous page


def test_staff_text_is_escaped_in_pages_and_feeds(client):
    incident = IncidentFactory(title=NASTY)
    IncidentUpdateFactory(incident=incident, message=NASTY)

    for url in ("/status/", f"/status/incidents/{incident.pk}/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html and "&lt;script&gt;" in html

    feed = client.get("/status/feed.atom").content.decode()
    assert "<script>" not in feed
    parsed = feedparser.parse(feed)
    # The entry's HTML summary shows the text, it does not run it
    assert "&lt;script&gt;" in parsed.entries[0].summary


def test_feeds_are_valid_atom(client, swisscom):
    other = IncidentFactory(services=[ServiceFactory(slug="internet")], title="Internet slow")
    IncidentUpdateFactory(incident=other, message="Slow.")

    parsed = feedparser.parse(client.get("/status/feed.atom").content)
    assert parsed.bozo == 0
    assert parsed.version == "atom10"
    assert len(parsed.entries) == 3
    assert parsed.entries[-1].title == "[Investigating] Nationwide telephony outage"
    assert parsed.entries[-1].link.endswith(f"/status/incidents/{swisscom.pk}/#update-{swisscom.updates.last().pk}")

    per_service = feedparser.parse(client.get("/status/services/business-phone/feed.atom").content)
    assert per_service.bozo == 0
    assert {e.title for e in per_service.entries} == {
        "[Investigating] Nationwide telephony outage",
        "[Resolved] Nationwide telephony outage",
    }
    assert client.get("/status/services/nope/feed.atom").status_code == 404


def test_undeclared_or_unknown_incident_is_404(client):
    suspected = IncidentFactory(declared_at=None, status="suspected")
    assert client.get(f"/status/incidents/{suspected.pk}/").status_code == 404
    assert client.get("/status/incidents/999999/").status_code == 404


def test_status_page_lists_current_incidents_by_service(client):
    phone = ServiceFactory(name="Business phone")
    IncidentFactory(title="Calls failing", services=[phone], regions=[RegionFactory(name="Vaud")])
    html = client.get("/status/").content.decode()
    assert "1 outage in progress." in html
    assert "Calls failing" in html and "Vaud" in html
    assert html.count('class="uptime-day') == 90


def test_status_page_queries_do_not_grow_with_incidents(client, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            IncidentFactory(services=[ServiceFactory()], regions=[RegionFactory()])

    make(3)
    with django_assert_num_queries(6):
        client.get("/status/?a=1")
    from tracker.incidents.cache import status_cache_invalidate

    status_cache_invalidate()
    make(3)
    with django_assert_num_queries(6):
        client.get("/status/?a=2")


def test_language_switch_sets_cookie_and_only_redirects_locally(client):
    response = client.get("/status/language/?language=it&next=/status/history/")
    assert response.status_code == 302 and response["Location"] == "/status/history/"
    assert response.cookies["django_language"].value == "it"
    response = client.get("/status/language/?language=xx&next=https://evil.example/")
    assert response["Location"] == "/status/"
    assert "django_language" not in response.cookies


def test_cached_hit_keeps_security_headers_and_sets_no_cookie(client, swisscom):
    first = client.get("/status/")
    second = client.get("/status/?again=1")
    for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Content-Language"):
        assert second[header] == first[header]
    assert second.content == first.content
    assert not second.cookies


def test_cached_pages_refuse_unknown_hosts(client, swisscom):
    client.get("/status/")
    assert client.get("/status/", HTTP_HOST="evil.example").status_code == 400


def test_post_to_a_status_page_is_refused_not_cached(client):
    assert client.post("/status/").status_code == 405
