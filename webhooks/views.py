"""Configurações → Integrações → Webhooks: list, add, edit (with the secret and the delivery
log), delete. Administrators only; another account's webhook is 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AdminRequiredMixin
from nexloo.core.errors import ValidationError
from webhooks import selectors, services
from webhooks.forms import EVENT_LABELS, WebhookForm


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
