"""What the Graph API's error codes mean for the people using Nexloo, in their language.

Meta's titles are English and terse; a person needs to know what happened and what to do
(131047: write a template; 190: an administrator must renew the token). Codes that are worth
retrying are listed in TRANSIENT.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# Rate limits and Meta's own temporary failures: try again later, with backoff.
TRANSIENT = {
    "network",
    "1",  # API unknown (temporary)
    "2",  # API service (temporary)
    "4",  # application request limit
    "80007",  # business account rate limit
    "130429",  # throughput rate limit
    "131000",  # something went wrong (Meta asks to retry)
    "131016",  # service unavailable
    "131056",  # too many messages to this person (pair rate limit)
    "133004",  # server temporarily unavailable
    "bad_checksum",  # a download that arrived damaged
}
WINDOW_CLOSED = "131047"
TOKEN_INVALID = "190"  # noqa: S105 (an error code, not a password)


def explain(code: object, title: str = "") -> str:
    """A sentence for the thread (or the connection test), in the active language."""
    code = str(code or "")
    texts = {
        WINDOW_CLOSED: _(
            "More than 24 hours have passed since the customer last wrote: WhatsApp only "
            "accepts an approved template now."
        ),
        "131026": _(
            "WhatsApp could not deliver this message: the number may not use WhatsApp, or the "
            "customer has not accepted WhatsApp's latest terms or uses an outdated app."
        ),
        TOKEN_INVALID: _(
            "WhatsApp refused the access token (expired or revoked): an administrator must "
            "enter a new one in Settings → Inboxes."
        ),
        "131049": _(
            "Meta held this message back to protect the customer's experience (too many "
            "marketing messages); try again later or in another way."
        ),
        "130472": _(
            "The customer's number is part of a Meta experiment and did not receive this "
            "marketing message."
        ),
        "131053": _("WhatsApp could not process the attached media."),
        "131052": _("The customer's media could not be downloaded from WhatsApp."),
        "131051": _("WhatsApp does not support this kind of message yet."),
        "131030": _("This number may not receive messages from a test number."),
        "131031": _("The WhatsApp Business account is locked."),
        "131042": _("The WhatsApp Business account has a payment problem."),
        "131021": _("The number cannot send a message to itself."),
        "132000": _("The number of parameters does not match the template."),
        "132001": _("The template does not exist in this language, or is not approved."),
        "368": _("The number was temporarily blocked by Meta for policy violations."),
        "100": _("WhatsApp refused a parameter of the request: %(title)s") % {"title": title},
        "130429": _("Too many messages at once: WhatsApp asked to slow down."),
        "131056": _("Too many messages to this customer in a short time."),
        "network": _("WhatsApp could not be reached."),
        "no_channel": _("This inbox has no WhatsApp number connected."),
        "too_large": _("The file is larger than the limit."),
        "bad_type": _("WhatsApp sent a file of an unexpected type."),
        "no_file": _("The attachment has no file to send."),
    }
    if code in texts:
        return texts[code]
    if code:
        return _("WhatsApp refused the message (error %(code)s: %(title)s).") % {
            "code": code,
            "title": title or _("no details"),
        }
    return title or _("WhatsApp refused the message.")
