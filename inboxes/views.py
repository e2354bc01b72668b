"""Configurações → Caixas de Entrada: list, create, and a page per inbox with tabs
(Configurações, Colaboradores, Horário de atendimento, and channel tabs other apps add)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AdminRequiredMixin
from inboxes import selectors, services
from inboxes.extensions import channel_creators, inbox_tabs
from inboxes.forms import (
    BusinessHoursForm,
    ExceptionForm,
    InboxCreateForm,
    InboxSettingsForm,
    MembersForm,
)
from inboxes.schedule import exceptions_payload, weekly_hours


class InboxListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        inboxes = list(selectors.inboxes_list(membership=self.membership))
        now = timezone.now()
        rows = [(inbox, selectors.inbox_is_open(inbox, now)) for inbox in inboxes]
        return render(request, "inboxes/list.html", {"rows": rows})


class InboxCreateView(AdminRequiredMixin, View):
    template = "inboxes/create.html"

    def get(self, request, account_id: int):
        return render(
            request,
            self.template,
            {"form": InboxCreateForm(account=self.account), "channel_creators": channel_creators},
        )

    def post(self, request, account_id: int):
        form = InboxCreateForm(request.POST, account=self.account)
        if form.is_valid():
            try:
                inbox = services.inbox_create(
                    account=self.account, actor=self.membership, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Inbox created. Now choose its collaborators."))
                return redirect("inboxes:members", account_id=self.account.pk, inbox_id=inbox.pk)
        return render(
            request,
            self.template,
            {"form": form, "channel_creators": channel_creators},
            status=422,
        )


class InboxTabMixin(AdminRequiredMixin):
    """Loads the inbox (404 for another account's) and lists the page's tabs."""

    tab = ""

    def inbox(self):
        if not hasattr(self, "_inbox"):
            self._inbox = selectors.inbox_get(
                membership=self.membership, inbox_id=self.kwargs["inbox_id"]
            )
        return self._inbox

    def tabs(self):
        inbox = self.inbox()
        args = [self.account.pk, inbox.pk]
        tabs = [
            ("settings", _("Settings"), reverse("inboxes:settings", args=args)),
            ("members", _("Collaborators"), reverse("inboxes:members", args=args)),
            ("hours", _("Business hours"), reverse("inboxes:hours", args=args)),
        ]
        for tab in inbox_tabs:
            if tab.applies(inbox):
                tabs.append((tab.key, tab.label, reverse(tab.url_name, args=args)))
        return tabs

    def render_tab(self, template: str, context: dict, status: int = 200):
        context = {"inbox": self.inbox(), "tabs": self.tabs(), "active_tab": self.tab, **context}
        return render(self.request, template, context, status=status)


class InboxSettingsView(InboxTabMixin, View):
    tab = "settings"

    def get(self, request, account_id: int, inbox_id: int):
        return self.render_tab(
            "inboxes/settings.html", {"form": InboxSettingsForm.for_inbox(self.inbox())}
        )

    def post(self, request, account_id: int, inbox_id: int):
        form = InboxSettingsForm.for_inbox(self.inbox(), data=request.POST)
        if form.is_valid():
            try:
                services.inbox_update(
                    account=self.account,
                    actor=self.membership,
                    inbox=self.inbox(),
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Inbox settings saved."))
                return redirect("inboxes:settings", account_id=account_id, inbox_id=inbox_id)
        return self.render_tab("inboxes/settings.html", {"form": form}, status=422)


class InboxMembersView(InboxTabMixin, View):
    tab = "members"

    def _initial(self):
        return list(selectors.inbox_members(inbox=self.inbox()).values_list("pk", flat=True))

    def get(self, request, account_id: int, inbox_id: int):
        form = MembersForm(account=self.account, initial={"members": self._initial()})
        return self.render_tab("inboxes/members.html", {"form": form})

    def post(self, request, account_id: int, inbox_id: int):
        form = MembersForm(request.POST, account=self.account)
        if form.is_valid():
            try:
                services.inbox_members_set(
                    account=self.account,
                    actor=self.membership,
                    inbox=self.inbox(),
                    user_ids=[m.user_id for m in form.cleaned_data["members"]],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Collaborators saved."))
                return redirect("inboxes:members", account_id=account_id, inbox_id=inbox_id)
        return self.render_tab("inboxes/members.html", {"form": form}, status=422)


class InboxHoursView(InboxTabMixin, View):
    tab = "hours"

    def _days(self):
        return weekly_hours(self.inbox())

    def _render(self, form, exception_form=None, status=200):
        inbox = self.inbox()
        now = timezone.now()
        return self.render_tab(
            "inboxes/hours.html",
            {
                "form": form,
                "exception_form": exception_form or ExceptionForm(),
                "exceptions": [
                    {**e, "date_value": date.fromisoformat(e["date"])}
                    for e in exceptions_payload(inbox)
                ],
                "open_now": selectors.inbox_is_open(inbox, now),
                "next_opening": selectors.inbox_next_opening(inbox, now),
            },
            status=status,
        )

    def get(self, request, account_id: int, inbox_id: int):
        form = BusinessHoursForm(
            days=self._days(), initial={"working_hours_enabled": self.inbox().working_hours_enabled}
        )
        return self._render(form)

    def post(self, request, account_id: int, inbox_id: int):
        if request.POST.get("action") == "add_exception":
            return self._add_exception(request)
        if request.POST.get("action") == "remove_exception":
            return self._remove_exception(request)
        form = BusinessHoursForm(request.POST, days=self._days())
        if form.is_valid():
            try:
                services.inbox_schedule_set(
                    account=self.account,
                    actor=self.membership,
                    inbox=self.inbox(),
                    weekly=form.weekly,
                    enabled=form.cleaned_data["working_hours_enabled"],
                )
            except ValidationError as exc:
                apply_service_errors(form, _day_errors(exc))
            else:
                messages.success(request, _("Business hours saved."))
                return redirect("inboxes:hours", account_id=account_id, inbox_id=inbox_id)
        return self._render(form, status=422)

    def _add_exception(self, request):
        exception_form = ExceptionForm(request.POST)
        form = BusinessHoursForm(
            days=self._days(), initial={"working_hours_enabled": self.inbox().working_hours_enabled}
        )
        if exception_form.is_valid():
            try:
                services.inbox_exception_set(
                    account=self.account,
                    actor=self.membership,
                    inbox=self.inbox(),
                    when=exception_form.cleaned_data["date"],
                    day=exception_form.day(),
                    note=exception_form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(exception_form, _day_errors(exc, "start"))
            else:
                messages.success(request, _("Exception saved."))
                return redirect(
                    "inboxes:hours", account_id=self.account.pk, inbox_id=self.inbox().pk
                )
        return self._render(form, exception_form, status=422)

    def _remove_exception(self, request):
        form = ExceptionForm(request.POST)
        form.is_valid()
        when = form.cleaned_data.get("date")
        if when:
            services.inbox_exception_remove(
                account=self.account, actor=self.membership, inbox=self.inbox(), when=when
            )
            messages.success(request, _("Exception removed."))
        return redirect("inboxes:hours", account_id=self.account.pk, inbox_id=self.inbox().pk)


def _day_errors(exc: ValidationError, field: str | None = None) -> ValidationError:
    """Service errors are keyed by `day_<n>`; the form shows them on `day_<n>_mode`."""
    if not hasattr(exc, "error_dict"):
        return exc
    mapped = {}
    for key, errors in exc.error_dict.items():
        target = field or (f"{key}_mode" if key.startswith("day_") else None) or "__all__"
        mapped.setdefault(target, []).extend(errors)
    return ValidationError(mapped)


class InboxDeleteView(InboxTabMixin, View):
    def get(self, request, account_id: int, inbox_id: int):
        return render(request, "inboxes/confirm_delete.html", {"inbox": self.inbox()})

    def post(self, request, account_id: int, inbox_id: int):
        name = self.inbox().name
        services.inbox_delete(account=self.account, actor=self.membership, inbox=self.inbox())
        messages.success(request, _("The inbox %(name)s was deleted.") % {"name": name})
        return redirect("inboxes:list", account_id=account_id)
