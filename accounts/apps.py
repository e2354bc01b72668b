from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import sockets
        from accounts.signals import on_sign_in

        sockets.connect()
        # Django's login() sends it for every way in (allauth's forms included).
        user_logged_in.connect(on_sign_in, dispatch_uid="accounts.availability_on_sign_in")
