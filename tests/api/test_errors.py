"""Bad input answers 400, 401, 404, 405, 413, 415 or 429 in one error shape, never 500."""

import json

import pytest

from complaints.models import Complaint
from tracker.incidents.models import Incident


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


def test_malformed_json_is_a_parse_error(world):
    response = world.client("agent").post("/api/incidents/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "42"])
def test_a_body_that_is_not_an_object_is_rejected(world, body):
    response = world.client("agent").post("/api/incidents/", body, content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "validation_error"


def test_nan_is_not_json(world):
    response = world.client("agent").post("/api/incidents/", '{"title": NaN}', content_type="application/json")

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_wrong_types_give_field_errors(world):
    response = world.client("contact_a").post(
        "/api/complaints/",
        {"subscription": "abc", "category": 7, "since": "yesterday", "description": ["x"]},
        format="json",
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["code"] == "validation_error"
    assert sorted(error["details"]) == ["category", "description", "since", "subscription"]
    assert Complaint.objects.count() == 0


def test_unknown_fields_are_rejected(world):
    response = world.client("contact_a").post(
        "/api/complaints/",
        {"subscription": world.subscription_a.pk, "category": "other", "description": "x" * 10, "is_admin": True},
        format="json",
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["code"] == "unknown_field"
    assert error["details"] == {"non_field_errors": ["Unknown fields: is_admin."]}


def test_huge_payload_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x" * 5000})

    response = world.client("agent").post("/api/incidents/", body, content_type="application/json")

    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


def test_body_longer_than_declared_limit_is_413_even_without_content_length(world, settings):
    # The parser itself stops reading past the limit.
    from io import BytesIO

    from tracker.api.exceptions import PayloadTooLarge
    from tracker.api.parsers import BoundedJSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    with pytest.raises(PayloadTooLarge):
        BoundedJSONParser().parse(BytesIO(b'{"title": "much too long"}'))


def test_invalid_cursor_is_400(world):
    response = world.client("anonymous").get("/api/incidents/?cursor=not-a-cursor")

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_cursor"


@pytest.mark.parametrize("size", ["0", "201", "abc"])
def test_page_size_out_of_bounds_is_400(world, size):
    response = world.client("anonymous").get(f"/api/incidents/?page_size={size}")

    assert response.status_code == 400
    assert error_of(response)["details"] == {"page_size": ["A whole number from 1 to 200."]}


def test_bad_filter_value_is_400(world):
    response = world.client("agent").get("/api/complaints/?status=nonsense")

    assert response.status_code == 400
    assert list(error_of(response)["details"]) == ["status"]


def test_huge_id_is_404_not_an_overflow(world):
    response = world.client("anonymous").get("/api/incidents/99999999999999999999999/")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_address_is_404_in_the_shape(world):
    response = world.client("anonymous").get("/api/nothing/here/")

    assert response.status_code == 404
    assert error_of(response) == {"code": "not_found", "message": "Not found.", "details": {}}


def test_method_not_allowed_is_405(world):
    response = world.client("agent").delete("/api/incidents/")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_form_data_is_415(world):
    response = world.client("agent").post(
        "/api/incidents/", "title=x", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_throttling_is_429_with_retry_after(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/minute"}
    client = world.client("anonymous")

    statuses = [client.get("/api/incidents/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = client.get("/api/incidents/")
    error = error_of(response)
    assert error["code"] == "throttled"
    assert 1 <= error["details"]["retry_after_seconds"] <= 61
    assert int(response["Retry-After"]) >= 1


def test_user_throttle_counts_per_account(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "1/minute"}

    first = world.client("agent").get("/api/incidents/")
    second = world.client("agent").get("/api/incidents/")
    other_user = world.client("manager").get("/api/incidents/")

    assert (first.status_code, second.status_code, other_user.status_code) == (200, 429, 200)


def test_ip_throttle_counts_every_account_behind_one_address(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "ip": "2/minute"}

    statuses = [world.client(role).get("/api/incidents/").status_code for role in ("agent", "manager", "contact_a")]

    assert statuses == [200, 200, 429]


def test_service_validation_errors_keep_the_shape(world):
    # The incidents service refuses an update published before the outage started.
    from tests.factories import IncidentFactory

    incident = IncidentFactory(services=[world.service], regions=[world.region])
    response = world.client("agent").post(
        f"/api/incidents/{incident.pk}/updates/",
        {"status": "resolved", "message": "Done", "language": "en"},
        format="json",
    )

    error = error_of(response)
    assert response.status_code == 400
    assert error["code"] == "validation_error"
    assert error["details"] == {"resolved_at": ["Give the time the outage was resolved."]}
    incident.refresh_from_db()
    assert incident.status == "investigating"


def test_collections_are_bounded(world):
    from tests.factories import IncidentFactory

    incident = IncidentFactory(services=[world.service], regions=[world.region])
    too_many = {str(i): "text" for i in range(1, 52)}

    response = world.client("agent").post(
        f"/api/incidents/{incident.pk}/corrections/", {"updates": too_many, "notify": False}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"updates": ["At most 50 updates can be corrected at once."]}


def test_each_throttle_counts_the_requests_it_allows_even_when_another_refuses(world, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "user": "1/minute", "ip": "3/minute"}

    # The agent's second request is refused by the user throttle but counted by the IP throttle.
    statuses = [
        world.client(role).get("/api/incidents/").status_code for role in ("agent", "agent", "manager", "manager")
    ]

    assert statuses == [200, 429, 200, 429]


def test_throttles_read_and_write_the_cache_once_per_request(world, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import SimpleRateThrottle

    calls = []

    class Recording:
        def __getattr__(self, name):
            calls.append(name)
            return getattr(cache, name)

    monkeypatch.setattr(SimpleRateThrottle, "cache", Recording())

    assert world.client("agent").get("/api/complaints/").status_code == 200

    assert calls == ["get_many", "set_many"]
