import pytest

pytestmark = pytest.mark.django_db


def test_unexpected_error_gives_the_generic_page_and_a_masked_log(client, settings, caplog):
    settings.ROOT_URLCONF = "tests.security.urls_error"
    settings.DEBUG = False
    client.raise_request_exception = False

    with caplog.at_level("ERROR", logger="django.request"):
        response = client.get("/boom/")

    body = response.content.decode()
    assert response.status_code == 500
    assert "hunter2" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    assert [r.levelname for r in caplog.records if r.name == "django.request"] == ["ERROR"]
