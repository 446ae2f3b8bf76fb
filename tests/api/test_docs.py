"""The schema, the docs page (CSP-clean, local files) and the token command."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tracker.api.models import ApiToken


def test_schema_is_openapi_3_with_examples_and_the_error_shape(world):
    response = world.client("anonymous").get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token that staff issue in the admin (API tokens).",
    }
    create = schema["paths"]["/api/complaints/"]["post"]
    examples = create["requestBody"]["content"]["application/json"]["examples"]
    assert examples["NoDialToneSinceThisMorning"]["summary"] == "No dial tone since this morning"
    assert create["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message", "details"}


def test_docs_page_uses_local_files_and_no_inline_code(world):
    page = world.client("anonymous").get("/api/docs/")
    script = world.client("anonymous").get("/api/docs/?script=")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html
    assert re.search(r"<script>|<style>|style=", html) is None
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_token_command_prints_the_secret_once(world):
    out = StringIO()

    call_command("api_token", "alice", "--name", "curl", stdout=out)

    secret = out.getvalue().strip()
    row = ApiToken.objects.get(name="curl")
    assert (row.user, row.prefix, row.digest) == (
        world.contact_a.user,
        secret[:8],
        hashlib.sha256(secret.encode()).hexdigest(),
    )


def test_token_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError):
        call_command("api_token", "nobody")
    assert ApiToken.objects.count() == 0
