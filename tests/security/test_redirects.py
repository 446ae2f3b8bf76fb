import pytest

from tracker.security.redirects import safe_next_url


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("/complaints/", "/complaints/"),
        ("/admin/?q=1", "/admin/?q=1"),
        ("http://testserver/status/", "http://testserver/status/"),
        ("https://evil.example/", "/home/"),
        ("//evil.example/path", "/home/"),
        ("/\\evil.example", "/home/"),
        ("\\\\evil.example", "/home/"),
        ("javascript:alert(1)", "/home/"),
        ("data:text/html,<script>alert(1)</script>", "/home/"),
        ("http:///evil.example", "/home/"),
        ("", "/home/"),
    ],
)
def test_next_parameter_only_leads_to_this_site(rf, next_value, expected):
    assert safe_next_url(rf.get("/", {"next": next_value}), "/home/") == expected
    assert safe_next_url(rf.post("/", {"next": next_value}), "/home/") == expected


def test_secure_request_refuses_a_plain_http_next(rf):
    request = rf.get("/", {"next": "http://testserver/status/"}, secure=True)

    assert safe_next_url(request, "/home/") == "/home/"
