"""Schemathesis against our own OpenAPI spec: no generated request may cause a 500.

Requests carry a machine token with every scope and a valid purpose, so they reach the
handlers instead of stopping at 401/403. Each operation gets its own Hypothesis run.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from lantern.security.policy import load_policy
from tests.factories.security import bearer
from tests.support.app import app_for

EXAMPLES_PER_OPERATION = 20


def test_no_generated_request_causes_a_server_error(session, settings, engine, clock):
    app = app_for(session, settings, engine, clock)
    headers = bearer(session, sorted(load_policy().permissions))
    headers |= {"X-Lantern-Purpose-Ref": "incident:1", "X-Lantern-Purpose-Reason": "schema fuzzing in CI"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")

        check()
    assert failures == []
