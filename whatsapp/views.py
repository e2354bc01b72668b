"""Configurações → Caixas de Entrada → Adicionar → WhatsApp, and the inbox's WhatsApp tab: the
callback URL and verify token to paste into Meta, **Testar conexão**, the credentials (shown only
by their last characters) and the message templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AdminRequiredMixin
from inboxes.views import InboxTabMixin
from whatsapp import selectors, services
from whatsapp.api import callback_url
from whatsapp.forms import ChannelUpdateForm, WhatsAppInboxForm
from whatsapp.graph import GraphError


class WhatsAppInboxCreateView(AdminRequiredMixin, View):
    template = "whatsapp/inbox_new.html"

    def get(self, request, account_id: int):
        return render(request, self.template, {"form": WhatsAppInboxForm(account=self.account)})

    def post(self, request, account_id: int):
        form = WhatsAppInboxForm(request.POST, account=self.account)
        if form.is_valid():
            try:
                channel = services.whatsapp_inbox_create(
                    account=self.account, actor=self.membership, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "Inbox created. Paste the callback URL and the verify token below into "
                        "Meta's webhook settings, then choose the collaborators."
                    ),
                )
                return redirect("whatsapp:inbox", account_id=account_id, inbox_id=channel.inbox_id)
        return render(request, self.template, {"form": form}, status=422)


class WhatsAppTabView(InboxTabMixin, View):
    tab = "whatsapp"

    def channel(self):
        if not hasattr(self, "_channel"):
            self._channel = selectors.channel_of_inbox(
                membership=self.membership, inbox_id=self.kwargs["inbox_id"]
            )
        return self._channel

    def _render(self, form=None, report=None, status=200):
        channel = self.channel()
        return self.render_tab(
            "whatsapp/inbox_tab.html",
            {
                "channel": channel,
                "callback_url": callback_url(channel.phone_number),
                "form": form or ChannelUpdateForm(channel=channel),
                "report": report,
                "templates": selectors.templates_of(channel=channel),
                "events": selectors.recent_events(channel=channel),
            },
            status=status,
        )

    def get(self, request, account_id: int, inbox_id: int):
        self.inbox()  # 404 before anything else for another account's inbox
        return self._render()

    def post(self, request, account_id: int, inbox_id: int):
        self.inbox()
        action = request.POST.get("action")
        if action == "test":
            report = services.channel_test(
                account=self.account, actor=self.membership, channel=self.channel()
            )
            return self._render(report=report)
        if action == "sync_templates":
            try:
                count = services.templates_sync(channel_id=self.channel().pk)
            except GraphError as exc:
                from whatsapp.errors import explain

                messages.error(request, explain(exc.code, exc.described))
            else:
                messages.success(request, _("%(count)s template(s) synced.") % {"count": count})
            return redirect("whatsapp:inbox", account_id=account_id, inbox_id=inbox_id)
        form = ChannelUpdateForm(request.POST, channel=self.channel())
        if form.is_valid():
            fields = {
                k: v for k, v in form.cleaned_data.items() if v or k not in services.SECRET_FIELDS
            }
            try:
                services.channel_update(
                    account=self.account, actor=self.membership, channel=self.channel(), **fields
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("WhatsApp settings saved."))
                return redirect("whatsapp:inbox", account_id=account_id, inbox_id=inbox_id)
        return self._render(form=form, status=422)
