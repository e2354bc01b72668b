"""Configurações → Integrações → Webhooks: list, add, edit (with the secret and the delivery
log), delete; and the API channel's own webhook on its inbox (Configurações → Caixas de Entrada →
the inbox → Webhook). Administrators only; another account's webhook or inbox is 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AdminRequiredMixin
from inboxes.views import InboxTabMixin
from nexloo.core.errors import ValidationError
from webhooks import selectors, services
from webhooks.forms import EVENT_LABELS, InboxWebhookForm, WebhookForm


class WebhookListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        rows = list(selectors.webhooks_list(membership=self.membership))
        return render(request, "webhooks/list.html", {"rows": rows, "event_labels": EVENT_LABELS})


class WebhookEditView(AdminRequiredMixin, View):
    """Adds (no pk) or edits a webhook; the edit page shows its secret and its deliveries."""

    template = "webhooks/form.html"

    def _row(self):
        pk = self.kwargs.get("pk")
        return selectors.webhook_get(membership=self.membership, webhook_id=pk) if pk else None

    def _render(self, form, row, status=200):
        context = {
            "form": form,
            "row": row,
            "deliveries": selectors.deliveries(webhook=row) if row else [],
        }
        return render(self.request, self.template, context, status=status)

    def get(self, request, account_id: int, pk: int | None = None):
        row = self._row()
        initial = (
            {"url": row.url, "name": row.name, "subscriptions": row.subscriptions}
            if row
            else {"subscriptions": list(EVENT_LABELS)}
        )
        return self._render(WebhookForm(initial=initial), row)

    def post(self, request, account_id: int, pk: int | None = None):
        row = self._row()
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                if row is None:
                    row = services.webhook_create(
                        account=self.account, actor=self.membership, **form.cleaned_data
                    )
                else:
                    services.webhook_update(
                        account=self.account,
                        actor=self.membership,
                        webhook=row,
                        active=True if "reactivate" in request.POST else None,
                        **form.cleaned_data,
                    )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("webhooks:edit", account_id=account_id, pk=row.pk)
        return self._render(form, row, status=422)


class WebhookDeleteView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, pk: int):
        row = selectors.webhook_get(membership=self.membership, webhook_id=pk)
        services.webhook_delete(account=self.account, actor=self.membership, webhook=row)
        messages.success(request, _("Webhook deleted."))
        return redirect("webhooks:list", account_id=account_id)


class InboxWebhookView(InboxTabMixin, View):
    """The API channel's webhook_url on its inbox page: the address, the secret that signs what
    it receives, the delivery log, and "Switch on again" once a day of failures switched it
    off."""

    tab = "webhook"

    def _webhook(self):
        # 404 for another account's inbox and for one that is no API channel.
        return selectors.inbox_webhook(membership=self.membership, inbox=self.inbox())

    def _render(self, form, row, status=200):
        context = {
            "form": form,
            "row": row,
            "deliveries": selectors.deliveries(webhook=row) if row else [],
        }
        return self.render_tab("webhooks/inbox_tab.html", context, status=status)

    def get(self, request, account_id: int, inbox_id: int):
        row = self._webhook()
        return self._render(InboxWebhookForm(initial={"url": row.url if row else ""}), row)

    def post(self, request, account_id: int, inbox_id: int):
        row = self._webhook()
        if "reactivate" in request.POST and row is not None:
            services.webhook_update(
                account=self.account, actor=self.membership, webhook=row, active=True
            )
            messages.success(request, _("Webhook switched on again."))
            return redirect("webhooks:inbox", account_id=account_id, inbox_id=inbox_id)
        form = InboxWebhookForm(request.POST)
        if form.is_valid():
            try:
                services.channel_webhook_set(
                    account=self.account,
                    actor=self.membership,
                    inbox=self.inbox(),
                    url=form.cleaned_data["url"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("webhooks:inbox", account_id=account_id, inbox_id=inbox_id)
        return self._render(form, row, status=422)
