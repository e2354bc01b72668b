"""The agents' workspace: filters, the conversation list and the open conversation, in one page
with htmx partials; plus Contatos and Respostas prontas.

Every page starts from the signed-in membership (AccountMixin): an agent opening another inbox's
conversation by URL gets 404. Actions post to services and answer with the re-rendered pane;
the websocket push (static/nexloo/js/workspace.js) refreshes the other browsers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.forms import apply_service_errors
from accounts.mixins import AccountMixin, AdminRequiredMixin
from conversations import delivery, phones, selectors, services
from conversations.forms import (
    AssignForm,
    CannedResponseForm,
    ContactForm,
    ForwardForm,
    LabelsForm,
    PriorityForm,
    ReplyForm,
    SnoozeForm,
)
from conversations.models import Status
from conversations.selectors import ConversationFilter
from nexloo.core.params import query_int, query_text
from teams.selectors import teams_list

FILTER_KEYS = ("assignee_type", "status", "inbox_id", "team_id", "labels", "q")
MAX_REFRESH_PAGES = 8


def filter_querystring(params) -> str:
    pairs = [(k, v) for k in FILTER_KEYS for v in params.getlist(k) if v]
    return urlencode(pairs)


class WorkspaceMixin(AccountMixin):
    def filters(self) -> ConversationFilter:
        params = self.request.GET.copy()
        if "assignee_type" not in params:
            params["assignee_type"] = "me" if not self.membership.is_administrator else "all"
        return ConversationFilter.from_params(params)

    def filter_qs(self) -> str:
        f = self.filters()
        params = self.request.GET.copy()
        params["assignee_type"] = f.assignee_type
        return filter_querystring(params)

    def conversation(self):
        if not hasattr(self, "_conversation"):
            self._conversation = selectors.conversation_get(
                membership=self.membership, display_id=self.kwargs["display_id"]
            )
        return self._conversation

    def list_context(self) -> dict:
        f = self.filters()
        # A live refresh asks for every page the browser has loaded ("Carregar mais").
        through = query_int(self.request.GET, "through", default=1, maximum=MAX_REFRESH_PAGES)
        page = selectors.conversations_page(membership=self.membership, f=f, through_page=through)
        return {"page": page, "filters": f, "filter_qs": self.filter_qs()}

    def counts_context(self) -> dict:
        """The tabs' counts for the filters, and each inbox, team and label link with what it
        would list in the current status and tab."""
        f = self.filters()
        links = selectors.sidebar_links(membership=self.membership, f=f)
        return {
            "counts": selectors.conversation_counts(membership=self.membership, f=f),
            "inbox_links": links.inboxes,
            "team_links": links.teams,
            "label_links": links.labels,
            "filters": f,
            "filter_qs": self.filter_qs(),
        }

    def pane_context(self, **extra) -> dict:
        conversation = self.conversation()
        labels = list(
            selectors.labels_list(membership=self.membership).values_list("title", flat=True)
        )
        current_labels = [label.title for label in conversation.labels.all()]
        reply_state = delivery.reply_state(conversation)
        return {
            "conversation": conversation,
            "reply_state": reply_state,
            "reply_hours": int(reply_state.window.total_seconds() // 3600)
            if reply_state.window
            else 0,
            "thread": selectors.messages_page(conversation=conversation, limit=60),
            "template_codes": delivery.template_error_codes(conversation.inbox.channel_type),
            "reply_form": extra.pop("reply_form", None) or ReplyForm(),
            "assign_form": AssignForm(
                membership=self.membership,
                inbox=conversation.inbox,
                initial={"assignee": conversation.assignee_id},
            ),
            "forward_form": extra.pop("forward_form", None)
            or ForwardForm(
                membership=self.membership,
                inbox=conversation.inbox,
                agents_url=self.forward_agents_url(),
            ),
            "snooze_form": extra.pop("snooze_form", None) or SnoozeForm(),
            "priority_form": PriorityForm(initial={"priority": conversation.priority}),
            "labels_form": LabelsForm(
                titles=sorted(set(labels) | set(current_labels)), initial={"labels": current_labels}
            ),
            "past_conversations": selectors.contact_conversations(
                membership=self.membership, contact=conversation.contact
            ).exclude(pk=conversation.pk)[:10],
            "filter_qs": self.filter_qs(),
            **extra,
        }

    def forward_agents_url(self) -> str:
        return reverse(
            "conversations:forward_agents",
            args=[self.account.pk, self.conversation().display_id],
        )

    def pane(self, status: int = 200, **extra) -> HttpResponse:
        return render(
            self.request, "conversations/_pane.html", self.pane_context(**extra), status=status
        )

    def after_action(self, **extra) -> HttpResponse:
        if self.request.htmx:
            self.__dict__.pop("_conversation", None)
            return self.pane(**extra)
        url = reverse(
            "conversations:conversation", args=[self.account.pk, self.conversation().display_id]
        )
        qs = self.filter_qs()
        return redirect(f"{url}?{qs}" if qs else url)


class WorkspaceView(WorkspaceMixin, View):
    """GET the whole workspace, optionally with a conversation open."""

    def get(self, request, account_id: int, display_id: int | None = None):
        context = self.list_context()
        if display_id is not None:
            context.update(self.pane_context())
        context.update(self.counts_context())
        context["statuses"] = [
            (Status.OPEN, _("Open")),
            (Status.PENDING, _("Pending")),
            (Status.SNOOZED, _("Snoozed")),
            (Status.RESOLVED, _("Resolved")),
            ("all", _("All statuses")),
        ]
        return render(request, "conversations/workspace.html", context)


class ListPartialView(WorkspaceMixin, View):
    def get(self, request, account_id: int):
        context = self.list_context()
        context["open_id"] = query_int(request.GET, "open")
        return render(request, "conversations/_list.html", context)


class CountsPartialView(WorkspaceMixin, View):
    """The tabs' counts, and (out of band, for htmx) the sidebar's inbox, team and label links
    with theirs: a live refresh of every count at once, in a fixed number of queries."""

    def get(self, request, account_id: int):
        return render(
            request, "conversations/_counts.html", {**self.counts_context(), "out_of_band": True}
        )


class PanePartialView(WorkspaceMixin, View):
    def get(self, request, account_id: int, display_id: int):
        return self.pane()


class MessagesPartialView(WorkspaceMixin, View):
    def get(self, request, account_id: int, display_id: int):
        conversation = self.conversation()
        items = selectors.messages_page(conversation=conversation, limit=60)
        return render(
            request,
            "conversations/_messages.html",
            {
                "conversation": conversation,
                "thread": items,
                "template_codes": delivery.template_error_codes(conversation.inbox.channel_type),
            },
        )


class ReplyView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        if request.POST.get("template_name"):
            return self.send_template(request)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.pane(status=422, reply_form=form)
        attachments = services.attachments_from_uploads(request.FILES.getlist("attachments"))
        try:
            services.message_send(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                content=form.cleaned_data["content"],
                private=form.cleaned_data["private"],
                attachments=attachments,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return self.pane(status=422, reply_form=form)
        return self.after_action(
            reply_form=ReplyForm(initial={"private": form.cleaned_data["private"]})
        )

    def send_template(self, request):
        """One of the channel's approved templates, with the parameters the agent filled in."""
        params = {
            key.removeprefix("param_"): value
            for key, value in request.POST.items()
            if key.startswith("param_")
        }
        try:
            services.message_send(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                content="",
                template_params={
                    "name": request.POST.get("template_name", ""),
                    "language": request.POST.get("template_language", ""),
                    "processed_params": params,
                },
            )
        except ValidationError as exc:
            return self.pane(status=422, flash_error=" ".join(exc.messages))
        return self.after_action()


class AssignView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        form = AssignForm(request.POST, membership=self.membership, inbox=self.conversation().inbox)
        if form.is_valid():
            services.conversation_assign_agent(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                assignee=form.cleaned_data["assignee"],
            )
        return self.after_action()


class ForwardAgentsView(WorkspaceMixin, View):
    """The Encaminhar dialog's agent list for the team chosen (htmx swaps the select)."""

    def get(self, request, account_id: int, display_id: int):
        inbox = self.conversation().inbox
        team = None
        team_id = query_int(request.GET, "team")  # unreadable: 400 naming it
        if team_id is not None:
            team = teams_list(membership=self.membership).filter(pk=team_id).first()
        form = ForwardForm(membership=self.membership, inbox=inbox, team=team)
        return render(request, "conversations/_forward_agents.html", {"field": form["assignee"]})


class ForwardView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        form = ForwardForm(
            request.POST,
            membership=self.membership,
            inbox=self.conversation().inbox,
            agents_url=self.forward_agents_url(),
        )
        if form.is_valid():
            try:
                services.conversation_forward(
                    account=self.account,
                    actor=self.membership,
                    conversation=self.conversation(),
                    team=form.cleaned_data["team"],
                    assignee=form.cleaned_data["assignee"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self.after_action(flash=_("Conversation forwarded."))
        return self.pane(status=422, forward_form=form, forward_open=True)


class StatusView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        wanted = request.POST.get("status", "")
        try:
            services.conversation_status_set(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                status=wanted,
            )
        except ValidationError as exc:
            return self.pane(status=422, flash_error=" ".join(exc.messages))
        return self.after_action()


class MuteView(WorkspaceMixin, View):
    """Silenciar (resolves, and keeps the contact's messages quiet for a while) or undo it."""

    def post(self, request, account_id: int, display_id: int):
        mute = request.POST.get("muted") == "on"
        service = services.conversation_mute if mute else services.conversation_unmute
        service(account=self.account, actor=self.membership, conversation=self.conversation())
        return self.after_action()


class SnoozeView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        form = SnoozeForm(request.POST)
        if form.is_valid():
            try:
                until = form.snoozed_until()
                services.conversation_status_set(
                    account=self.account,
                    actor=self.membership,
                    conversation=self.conversation(),
                    status=Status.SNOOZED,
                    snoozed_until=until,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return self.after_action()
        return self.pane(status=422, snooze_form=form, snooze_open=True)


class PriorityView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        form = PriorityForm(request.POST)
        if form.is_valid():
            services.conversation_priority_set(
                account=self.account,
                actor=self.membership,
                conversation=self.conversation(),
                priority=form.cleaned_data["priority"] or None,
            )
        return self.after_action()


class LabelsView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        titles = list(
            selectors.labels_list(membership=self.membership).values_list("title", flat=True)
        )
        form = LabelsForm(request.POST, titles=titles)
        if form.is_valid():
            try:
                services.conversation_labels_set(
                    account=self.account,
                    actor=self.membership,
                    conversation=self.conversation(),
                    titles=form.titles(),
                )
            except ValidationError as exc:
                return self.pane(status=422, flash_error=" ".join(exc.messages))
        return self.after_action()


class ReadView(WorkspaceMixin, View):
    def post(self, request, account_id: int, display_id: int):
        services.conversation_mark_read(
            account=self.account, actor=self.membership, conversation=self.conversation()
        )
        return HttpResponse(status=204)


class CannedSearchView(AccountMixin, View):
    """The composer's /shortcut suggestions."""

    def get(self, request, account_id: int):
        q = query_text(request.GET, "q").lstrip("/")
        rows = selectors.canned_responses(membership=self.membership, q=q)[:8]
        return JsonResponse(
            {"payload": [{"short_code": r.short_code, "content": r.content} for r in rows]}
        )


# --- Contatos ------------------------------------------------------------------------------------


class ContactListView(AccountMixin, View):
    def get(self, request, account_id: int):
        q = query_text(request.GET, "q")
        page = Paginator(selectors.contacts_list(membership=self.membership, q=q), 25).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "conversations/contacts/list.html",
            {"page": page, "contacts": page.object_list, "query": q},
        )


class ContactDetailView(AccountMixin, View):
    template = "conversations/contacts/detail.html"

    def _contact(self):
        return selectors.contact_get(
            membership=self.membership, contact_id=self.kwargs["contact_id"]
        )

    def _render(self, contact, form, status=200):
        conversations = selectors.contact_conversations(
            membership=self.membership, contact=contact
        )[:50]
        return render(
            request=self.request,
            template_name=self.template,
            context={"contact": contact, "form": form, "conversations": conversations},
            status=status,
        )

    def get(self, request, account_id: int, contact_id: int):
        contact = self._contact()
        form = ContactForm(
            initial={
                "name": contact.name,
                "phone_number": phones.format_phone(
                    contact.phone_number, region=self.account.country
                ),
                "email": contact.email,
                "identifier": contact.identifier,
            }
        )
        return self._render(contact, form)

    def post(self, request, account_id: int, contact_id: int):
        contact = self._contact()
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.contact_update(
                    account=self.account,
                    actor=self.membership,
                    contact=contact,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Contact saved."))
                return redirect(
                    "conversations:contact", account_id=account_id, contact_id=contact.pk
                )
        return self._render(contact, form, status=422)


class ContactDeleteView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, contact_id: int):
        contact = selectors.contact_get(membership=self.membership, contact_id=contact_id)
        services.contact_delete(account=self.account, actor=self.membership, contact=contact)
        messages.success(request, _("Contact %(name)s deleted.") % {"name": contact})
        return redirect("conversations:contacts", account_id=account_id)


# --- Configurações → Respostas prontas --------------------------------------------------------


class CannedListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        q = query_text(request.GET, "q")
        rows = selectors.canned_responses(membership=self.membership, q=q)
        page = Paginator(rows, 25).get_page(request.GET.get("page"))
        return render(
            request,
            "conversations/canned/list.html",
            {"page": page, "rows": page.object_list, "query": q, "form": CannedResponseForm()},
        )


class CannedEditView(AdminRequiredMixin, View):
    """Creates (no pk) or edits a canned response."""

    template = "conversations/canned/form.html"

    def _row(self):
        pk = self.kwargs.get("pk")
        return selectors.canned_response_get(membership=self.membership, pk=pk) if pk else None

    def get(self, request, account_id: int, pk: int | None = None):
        row = self._row()
        form = CannedResponseForm(
            initial={"short_code": row.short_code, "content": row.content} if row else None
        )
        return render(request, self.template, {"form": form, "row": row})

    def post(self, request, account_id: int, pk: int | None = None):
        row = self._row()
        form = CannedResponseForm(request.POST)
        if form.is_valid():
            try:
                if row is None:
                    services.canned_response_create(
                        account=self.account, actor=self.membership, **form.cleaned_data
                    )
                else:
                    services.canned_response_update(
                        account=self.account,
                        actor=self.membership,
                        response=row,
                        **form.cleaned_data,
                    )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Canned response saved."))
                return redirect("conversations:canned_responses", account_id=account_id)
        return render(request, self.template, {"form": form, "row": row}, status=422)


class CannedDeleteView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, pk: int):
        row = selectors.canned_response_get(membership=self.membership, pk=pk)
        services.canned_response_delete(account=self.account, actor=self.membership, response=row)
        messages.success(request, _("Canned response deleted."))
        return redirect("conversations:canned_responses", account_id=account_id)
