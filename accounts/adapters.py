from __future__ import annotations

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse

from nexloo.core.links import ProductSite, absolute_url


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        user.name = form.cleaned_data.get("name", "").strip()
        user.language = getattr(request, "LANGUAGE_CODE", user.language) or user.language
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request) -> str:
        return reverse("home")

    def get_email_verification_redirect_url(self, email_address) -> str:
        return reverse("home")

    # E-mails: links from SITE_URL like every other e-mail, and the product's name where
    # allauth's templates say `current_site.name` (not the host the request came through).
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": ProductSite()})

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))
