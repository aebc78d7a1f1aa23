"""What the web layer needs of the data keys: a scope that unwraps each key once.

The middleware runs every request inside one scope so that a page decrypting
many rows with one client's key unwraps it once; nothing outlives the request,
so a key destroyed by an erasure stops working at once in every process.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from portal.dynamo.field_crypto import data_key_scope


def request_key_scope() -> AbstractContextManager[object]:
    return data_key_scope()
