"""schemathesis against the served OpenAPI: no 500 anywhere, every response as documented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis.checks import CheckFunction
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from hubsense.influx import InfluxV1
from hubsense.layout import Layout
from hubsense.settings import InfluxSettings, Settings, StaffToken
from tests.api.conftest import Publisher, eventually, start_api, zone_state
from tests.seeded_reports import seed_and_roll_up

pytestmark = pytest.mark.services

TOKEN = "openapi-fuzz-staff-token-0123456789"
CROSS_CHECKED = ("/api/v1/reports/", "/api/v1/events")


@pytest.fixture
def api_schema(api_settings: Settings, layout: Layout, publisher: Publisher,
               influx_settings: InfluxSettings) -> Iterator[BaseSchema]:
    # No rate limit here: the fuzzer's volume is not what is under test.
    api_conf = api_settings.api.model_copy(update={"rate_limit_per_min": 0, "tokens": [
        StaffToken(name="fuzz", token=SecretStr(TOKEN),
                   scopes=["nodes:read", "reports:read", "events:write"])]})
    with InfluxV1(influx_settings) as db:  # the reports read real (if few) rollups
        seed_and_roll_up(db, layout)
    server = start_api(api_settings.model_copy(update={"api": api_conf,
                                                       "influx": influx_settings}), layout)
    publisher.collector("online")
    publisher.zone(zone_state(layout, "quiet", occupied=2))
    live = server.app.state.live
    eventually(lambda: live.live, what="live state")
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    # The stream never ends by design; it has its own test.
    yield schema.exclude(path="/api/v1/stream")
    server.stop()


def test_api_matches_its_schema(api_schema: BaseSchema) -> None:
    # Driven by hand, not schema.parametrize: its pytest plugin breaks on pytest 9.
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 6
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck),
                  database=None)
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            # A report's period is `from`+`to` or `month`, at most report.max_range_days:
            # constraints across parameters that OpenAPI cannot state, so a schema-valid
            # request may get the documented 400. Every other check still runs.
            skip: list[CheckFunction] = \
                [positive_data_acceptance] if case.path.startswith(CROSS_CHECKED) else []
            case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"},
                                   excluded_checks=skip)

        check()
