"""Schemathesis against /api/schema/, in-process through the WSGI application.

Every operation gets generated requests (valid and invalid), as a staff member
(a manager's token) so that staff endpoints answer too. Checks: no 5xx, and
every documented response matches its schema. Few examples per operation keep
`make test` fast; SCHEMATHESIS_EXAMPLES raises it.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tracker.wsgi import application

from . import scenario

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
# The coverage phase (every boundary and negative value of every field) is thorough and slow:
# on with SCHEMATHESIS_COVERAGE=1 (as .ci/run may do), off in a plain `make test`.
schema.config.phases.coverage.enabled = os.environ.get("SCHEMATHESIS_COVERAGE", "") == "1"


@pytest.fixture
def staff_world(world):
    # The WSGI handler closes the database connection after each request; the test transaction must survive.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield world, scenario.build(world)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,  # no .hypothesis/ folder in the work tree
)
def test_api_matches_its_schema(case, staff_world):
    world, _built = staff_world
    case.call_and_validate(
        headers={"Authorization": f"Bearer {world.tokens['manager']}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
