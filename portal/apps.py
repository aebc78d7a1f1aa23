from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the receiver that stores the signed-in person in the session at login.
        from portal.accounts import session_user  # noqa: F401
