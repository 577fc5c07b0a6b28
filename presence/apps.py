from django.apps import AppConfig


class PresenceConfig(AppConfig):
    name = "presence"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import sessions_ended
        from presence.services import disconnect_user

        # A session that ends closes the user's sockets in every process (accounts cannot import presence).
        sessions_ended.connect(disconnect_user, dispatch_uid="presence-disconnect-user")
