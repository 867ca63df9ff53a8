"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process, on SQLite).

Every operation gets generated requests, as a signed-in reader (a fresh Bearer token for each
request, since the fuzzer may well log out, revoke tokens or change the password): no answer
may be a 5xx, and every answer must match what the document declares (status code, content
type, headers, body schema), and data the schema forbids must not be accepted. Schema-valid
data may still be refused with a 400 (a query that does not parse, a common password: rules a
JSON schema cannot state), so schemathesis's "valid data is accepted" check is left out. The
run is deterministic (derandomised) so CI never flakes; set
LITFEED_FUZZ_EXAMPLES to fuzz harder locally (default 6 per operation).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import NotFound
from litfeed.service import accounts
from litfeed.store import Store
from litfeed.web.app import create_app
from litfeed.web.openapi import EXAMPLE_PMID

EXAMPLES = int(os.environ.get("LITFEED_FUZZ_EXAMPLES", "6"))
EMAIL = "fuzz@example.org"
PASSWORD = "fuzzing is fun"


@pytest.fixture(scope="module")
def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Store]]:
    data = Path(tmp_path_factory.mktemp("fuzz"))
    # no rate limits: the fuzzer should reach the handlers, not the limiter
    base = fast(Settings(data_dir=data), rate_api_per_ip=0, rate_api_per_user=0,
                rate_register_per_ip=0)
    store = Store.open(base)
    # the PMID the document uses as its example, so generated requests find a paper
    add_papers(store, [make_paper(EXAMPLE_PMID, doi="10.1000/rct", pmcid="PMC100"),
                       make_paper("101", title="Another trial")])
    yield base, store
    store.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_world: tuple[Settings, Store]) -> BaseSchema:
    settings_, store = fuzz_world
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(replace(settings_), store))


def fresh_token(world: tuple[Settings, Store]) -> str:
    """A valid token for the fuzzing reader, re-creating the account if a request deleted it."""
    settings_, store = world
    try:
        user = accounts.get_user_by_email(store, EMAIL)
    except NotFound:
        user = accounts.register(store, settings_, email=EMAIL, password=PASSWORD)
    return accounts.create_token(store, user.id, "fuzz")[1]


def fuzz_operation(operation: APIOperation, mode: GenerationMode,
                   world: tuple[Settings, Store]) -> str | None:
    """Run one operation's generated requests; the first failure's description, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {fresh_token(world)}"},
                               excluded_checks=[positive_data_acceptance])

    try:
        run()
    except Unsatisfiable:
        return None  # nothing to make invalid (no parameters, or any string is valid)
    except (Exception, BaseExceptionGroup) as exc:  # a check failed: report it, go on
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}"[:3000]
    return None


def test_the_api_answers_every_generated_request_as_documented(
        api_schema: BaseSchema, fuzz_world: tuple[Settings, Store]) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50  # every documented operation is here
    failures = [failure for operation in operations
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
                if (failure := fuzz_operation(operation, mode, fuzz_world))]
    assert not failures, "\n\n".join(failures)
