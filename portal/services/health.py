"""Health of the services the portal depends on (for load balancers)."""

from __future__ import annotations

from portal.domain import DatabaseUnavailable
from portal.dynamo.health import HealthRepository


def database_healthy() -> bool:
    """True when DynamoDB answers and our tables are usable; never raises."""
    try:
        return HealthRepository().database_answers()
    except DatabaseUnavailable:
        return False
