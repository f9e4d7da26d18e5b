"""schemathesis against the OpenAPI document, every route, anonymous and with a token:
no 5xx, every answer matches the documented schema, status and content type.
Bounded (EXAMPLES per route and mode) and reproducible (derandomized); positive and negative
(schema-violating) requests both."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)
from schemathesis.generation import GenerationMode

from tests.glaas.conftest import user_token

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
EXAMPLES = 20


def run_operation(operation, headers: dict[str, str]) -> list[str]:
    """Every failed check on one route, as text (empty when all passed)."""
    failures: list[str] = []
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(strategy)
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collected, then asserted on below
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:600]}")

    check()
    return failures


@pytest.mark.parametrize("caller", ["anonymous", "token"])
def test_every_route(glaas_server, caller):
    schema = schemathesis.openapi.from_url(glaas_server.url + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {user_token(glaas_server)[1]}"} if caller == "token" else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every route, not a subset
    failures = [f for op in operations for f in run_operation(op, headers)]
    assert not failures, "\n\n".join(failures[:10])
