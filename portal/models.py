"""Django loads models from here; the only one is the unmanaged user shim."""

from portal.accounts.user import User

__all__ = ["User"]
