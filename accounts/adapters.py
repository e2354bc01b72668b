from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


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
