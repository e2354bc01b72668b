"""The e-mails the accounts app sends, rendered in the account's language (HTML and text)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Account, Invitation, User
from nexloo.core.links import ProductSite, absolute_url


def _send(*, to: User, language: str, subject: str, template: str, context: dict) -> None:
    with translation.override(language):
        context = {
            **context,
            "user": to,
            "site_url": absolute_url("/"),
            "current_site": ProductSite(),
        }
        # One line whatever a name stored before names were checked holds (a header with a
        # line break is refused by the mail library, and the e-mail never left).
        subject = " ".join((settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + str(subject)).split())
        text = render_to_string(f"accounts/email/{template}.txt", context)
        html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to.email])
    message.attach_alternative(html, "text/html")
    message.send()


def send_invitation(invitation: Invitation, token: str) -> None:
    from django.utils.translation import gettext as _

    account = invitation.account
    existing = invitation.user.has_usable_password()
    with translation.override(account.locale):
        if existing:
            subject = _("You were invited to %(account)s") % {"account": account.name}
        else:
            subject = _("Create your password and verify your account at %(account)s") % {
                "account": account.name
            }
    _send(
        to=invitation.user,
        language=account.locale,
        subject=subject,
        template="invitation",
        context={
            "account": account,
            "inviter": invitation.inviter,
            "invitation": invitation,
            "link": absolute_url(reverse("invitation_accept", args=[token])),
            "ttl_hours": int(settings.INVITATION_TTL.total_seconds() // 3600),
            "existing": existing,
        },
    )


def send_added_to_account(account: Account, user: User) -> None:
    from django.utils.translation import gettext as _

    with translation.override(account.locale):
        subject = _("You were added to the account %(account)s") % {"account": account.name}
    _send(
        to=user,
        language=account.locale,
        subject=subject,
        template="added_to_account",
        context={
            "account": account,
            "link": absolute_url(reverse("account_home", args=[account.pk])),
        },
    )
