"""schemathesis against the live OpenAPI schema: generated calls with a read-write token, through WSGI.

Every operation gets bounded generated examples; none may answer 5xx, nor anything its schema does not
describe (status code, content type, body).
"""

import hypothesis
import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import services as token_services
from atmp_portal.wsgi import application

EXAMPLES_PER_OPERATION = 30

# The schema as the portal serves it (the schema view reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
schema.config.generation.update(max_examples=EXAMPLES_PER_OPERATION, modes=["positive"], deterministic=True)


@pytest.fixture
def read_write_token(booker, equipment, admitted_project, booking_day, settings):
    """A qualified member's token, in a world with a room, its equipment and an admitted project."""
    settings.API_RATE_LIMIT = 10_000
    cache.clear()
    _token, secret = token_services.create_token(booker, name="schemathesis", scope="read write", valid_days=30)
    # As Django's test client does: a request through WSGI must not close the test's connection (and transaction).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield secret
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
# One world and token for all examples of an operation, on purpose: calls may add bookings, which is fine.
@hypothesis.settings(suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_schema(case, read_write_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {read_write_token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
