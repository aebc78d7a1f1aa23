"""The one boto3 DynamoDB client of this process, and the one KMS client, created lazily.

Never at import and never before gunicorn forks: a client is built on first
use and rebuilt if the process id changed (a forked worker must not share the
parent's connection pool). Both use the same timeouts and retries, so a slow
KMS fails a request as fast as a slow DynamoDB does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

from portal.dynamo.gateway import DynamoGateway

_lock = threading.Lock()
_gateway: DynamoGateway | None = None
_gateway_pid: int | None = None
# The KMS client that wraps and unwraps data keys when DATA_KEYS_KMS_KEY_ID is set.
_kms: Any = None
_kms_pid: int | None = None
# Building a boto3 Session reads botocore's service descriptions from disk
# (~0.2 s); one per process is enough even when the client is rebuilt.
_session: boto3.session.Session | None = None
_session_pid: int | None = None
# (event name, handler, unique id) registered on every client this module builds:
# observers that must see every call of the process (the test suite's record of
# operations for the IAM policy check) whichever client is current.
_client_hooks: list[tuple[str, Callable[..., Any], str]] = []


def _client_config() -> Config:
    return Config(
        retries={"mode": "standard", "total_max_attempts": settings.DYNAMODB_MAX_ATTEMPTS},
        connect_timeout=settings.DYNAMODB_CONNECT_TIMEOUT,
        read_timeout=settings.DYNAMODB_READ_TIMEOUT,
        max_pool_connections=50,
        tcp_keepalive=True,
    )


def _boto_session() -> boto3.session.Session:
    """This process's boto3 Session (called under ``_lock``)."""
    global _session, _session_pid
    if _session is None or _session_pid != os.getpid():
        _session = boto3.session.Session()
        _session_pid = os.getpid()
    return _session


def _build_gateway() -> DynamoGateway:
    kwargs: dict[str, object] = {
        "region_name": settings.AWS_REGION,
        "config": _client_config(),
    }
    endpoint = settings.DYNAMODB_ENDPOINT_URL
    if endpoint:
        kwargs["endpoint_url"] = endpoint
        # A local engine ignores credentials but botocore insists on some.
        if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
            kwargs["aws_access_key_id"] = "local"
            kwargs["aws_secret_access_key"] = "local"
    client = _boto_session().client("dynamodb", **kwargs)  # type: ignore[call-overload]
    for event_name, handler, unique_id in _client_hooks:
        client.meta.events.register(event_name, handler, unique_id=unique_id)
    return DynamoGateway(client, settings.DYNAMODB_TABLE_PREFIX)


def get_gateway() -> DynamoGateway:
    global _gateway, _gateway_pid
    pid = os.getpid()
    gateway = _gateway
    if gateway is not None and _gateway_pid == pid:
        return gateway
    with _lock:
        if _gateway is None or _gateway_pid != pid:
            _gateway = _build_gateway()
            _gateway_pid = pid
        return _gateway


def get_kms_client() -> Any:
    """The process's KMS client (real AWS KMS in the configured region), built on first use."""
    global _kms, _kms_pid
    pid = os.getpid()
    client = _kms
    if client is not None and _kms_pid == pid:
        return client
    with _lock:
        if _kms is None or _kms_pid != pid:
            _kms = _boto_session().client(  # type: ignore[call-overload]
                "kms", region_name=settings.AWS_REGION, config=_client_config()
            )
            _kms_pid = pid
        return _kms


def register_client_hook(event_name: str, handler: Callable[..., Any], unique_id: str) -> None:
    """Register a botocore event handler on this client and every later one."""
    with _lock:
        if all(existing != unique_id for _, _, existing in _client_hooks):
            _client_hooks.append((event_name, handler, unique_id))
        if _gateway is not None:
            _gateway.client.meta.events.register(event_name, handler, unique_id=unique_id)


def reset_gateway() -> None:
    """Forget the clients (tests switch engines, table prefixes and mocks)."""
    global _gateway, _gateway_pid, _kms, _kms_pid
    with _lock:
        _gateway = None
        _gateway_pid = None
        _kms = None
        _kms_pid = None
