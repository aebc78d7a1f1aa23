"""/healthz: 200 when DynamoDB answers, 503 when it does not (for load balancers)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.services.health import database_healthy


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    if not database_healthy():
        return JsonResponse({"status": "unavailable", "dynamodb": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "dynamodb": "ok"})
