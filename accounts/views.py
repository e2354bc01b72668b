"""Pages of the accounts app: home, Configurações → Agentes, Conta, Perfil, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from accounts import selectors, services
from accounts.forms import (
    AccountSettingsForm,
    AgentForm,
    ProfileForm,
    SetPasswordForm,
    apply_service_errors,
)
from accounts.mixins import SESSION_ACCOUNT, AccountMixin, AdminRequiredMixin
from accounts.models import Role
from nexloo.core.errors import Conflict, NotFound
from nexloo.core.params import query_text

AGENTS_PER_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Sends the user to the account they used last, or their first one."""
    memberships = list(selectors.memberships_of(user=request.user))
    if not memberships:
        return render(request, "accounts/no_account.html", status=200)
    last = request.session.get(SESSION_ACCOUNT)
    chosen = next((m for m in memberships if m.account_id == last), memberships[0])
    return redirect("account_home", account_id=chosen.account_id)


class AccountHomeView(AccountMixin, View):
    """The landing page of an account."""

    def get(self, request, account_id: int):
        return redirect("conversations:workspace", account_id=self.account.pk)


# --- Configurações → Agentes -------------------------------------------------------------------


class AgentListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        query = query_text(request.GET, "q")
        agents = selectors.agents_list(membership=self.membership, query=query)
        page = Paginator(agents, AGENTS_PER_PAGE).get_page(request.GET.get("page"))
        return render(
            request,
            "accounts/agents/list.html",
            {"page": page, "agents": page.object_list, "query": query, "Role": Role},
        )


class AgentCreateView(AdminRequiredMixin, View):
    template = "accounts/agents/form.html"

    def get(self, request, account_id: int):
        form = AgentForm(account=self.account)
        return render(request, self.template, {"form": form, "creating": True})

    def post(self, request, account_id: int):
        form = AgentForm(request.POST, account=self.account)
        if form.is_valid() and (membership := form.save(actor=self.membership)):
            messages.success(
                request,
                _("%(name)s was added. We sent an e-mail to %(email)s.")
                % {"name": membership.shown_name, "email": membership.user.email},
            )
            return redirect("settings_agents", account_id=self.account.pk)
        return render(request, self.template, {"form": form, "creating": True}, status=422)


class AgentEditView(AdminRequiredMixin, View):
    template = "accounts/agents/form.html"

    def get(self, request, account_id: int, user_id: int):
        agent = selectors.agent_get(membership=self.membership, user_id=user_id)
        form = AgentForm(account=self.account, membership=agent)
        return render(request, self.template, {"form": form, "agent": agent})

    def post(self, request, account_id: int, user_id: int):
        agent = selectors.agent_get(membership=self.membership, user_id=user_id)
        form = AgentForm(request.POST, account=self.account, membership=agent)
        if form.is_valid() and form.save(actor=self.membership):
            messages.success(request, _("Agent updated."))
            return redirect("settings_agents", account_id=self.account.pk)
        return render(request, self.template, {"form": form, "agent": agent}, status=422)


class AgentDeleteView(AdminRequiredMixin, View):
    """GET shows the confirmation (also used without JavaScript); POST removes."""

    def get(self, request, account_id: int, user_id: int):
        agent = selectors.agent_get(membership=self.membership, user_id=user_id)
        return render(request, "accounts/agents/confirm_delete.html", {"agent": agent})

    def post(self, request, account_id: int, user_id: int):
        agent = selectors.agent_get(membership=self.membership, user_id=user_id)
        try:
            services.agent_remove(account=self.account, actor=self.membership, membership=agent)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("%(name)s was removed from the account.") % {"name": agent.shown_name}
            )
        return redirect("settings_agents", account_id=self.account.pk)


class AgentResendView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, user_id: int):
        agent = selectors.agent_get(membership=self.membership, user_id=user_id)
        services.invitation_send(account=self.account, actor=self.membership, membership=agent)
        messages.success(
            request, _("Invitation sent again to %(email)s.") % {"email": agent.user.email}
        )
        return redirect("settings_agents", account_id=self.account.pk)


# --- Configurações → Conta ---------------------------------------------------------------------


class AccountSettingsView(AdminRequiredMixin, View):
    template = "accounts/account_settings.html"

    def get(self, request, account_id: int):
        a = self.account
        form = AccountSettingsForm(
            initial={
                "name": a.name,
                "locale": a.locale,
                "timezone": a.timezone,
                "support_email": a.support_email,
                "country": a.country,
            }
        )
        return render(request, self.template, {"form": form})

    def post(self, request, account_id: int):
        form = AccountSettingsForm(request.POST)
        if form.is_valid():
            try:
                changes = {k: v for k, v in form.cleaned_data.items() if k != "country" or v}
                services.account_update(account=self.account, actor=self.membership, **changes)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Account settings saved."))
                return redirect("settings_account", account_id=self.account.pk)
        return render(request, self.template, {"form": form}, status=422)


# --- Perfil --------------------------------------------------------------------------------------


class ProfileView(AccountMixin, View):
    template = "accounts/profile.html"

    def get(self, request, account_id: int):
        user = request.user
        form = ProfileForm(
            initial={
                "name": user.name,
                "display_name": user.display_name,
                "language": user.language,
            }
        )
        return render(request, self.template, {"form": form})

    def post(self, request, account_id: int):
        if "regenerate_token" in request.POST:
            token = services.access_token_regenerate(user=request.user)
            form = ProfileForm(
                initial={
                    "name": request.user.name,
                    "display_name": request.user.display_name,
                    "language": request.user.language,
                }
            )
            return render(request, self.template, {"form": form, "new_token": token})
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Profile saved."))
                if request.htmx:
                    # The form is boosted; the page may now be in another language, whose
                    # <html lang> and texts outside the body only a full load brings.
                    return HttpResponseClientRedirect(reverse("profile", args=[self.account.pk]))
                return redirect("profile", account_id=self.account.pk)
        return render(request, self.template, {"form": form}, status=422)


# --- Invitations -------------------------------------------------------------------------------


class InvitationAcceptView(View):
    """The link in the invitation e-mail: create a password and verify the account."""

    template = "accounts/invitation_accept.html"

    def _invitation(self, token: str):
        try:
            return services.invitation_from_token(token)
        except NotFound:
            return None

    def _unusable(self, request, invitation, token: str, status: int = 410):
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"invitation": invitation, "token": token},
            status=status if invitation else 404,
        )

    def _join(self, request, invitation):
        """Someone who already has a password signs in as the invited user, then accepts."""
        signed_in = request.user.is_authenticated and request.user.pk == invitation.user_id
        if request.method == "POST" and signed_in:
            try:
                services.invitation_join(invitation=invitation, user=request.user)
            except Conflict:
                return self._unusable(request, invitation, "")
            request.session[SESSION_ACCOUNT] = invitation.account_id
            messages.success(
                request, _("Welcome to %(account)s!") % {"account": invitation.account.name}
            )
            return redirect("account_home", account_id=invitation.account_id)
        return render(
            request,
            "accounts/invitation_join.html",
            {"invitation": invitation, "signed_in": signed_in},
            status=200 if request.method == "GET" else 403,
        )

    def get(self, request, token: str):
        invitation = self._invitation(token)
        if invitation is None or not invitation.is_usable():
            return self._unusable(request, invitation, token)
        if services.invitation_for_existing_user(invitation):
            return self._join(request, invitation)
        form = SetPasswordForm(user=invitation.user, initial={"name": invitation.user.name})
        return render(request, self.template, {"form": form, "invitation": invitation})

    def post(self, request, token: str):
        invitation = self._invitation(token)
        if invitation is None or not invitation.is_usable():
            return self._unusable(request, invitation, token)
        if services.invitation_for_existing_user(invitation):
            return self._join(request, invitation)
        form = SetPasswordForm(request.POST, user=invitation.user)
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    invitation=invitation,
                    password=form.cleaned_data["password1"],
                    name=form.cleaned_data["name"],
                )
            except Conflict:
                return self._unusable(request, invitation, token)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                request.session[SESSION_ACCOUNT] = invitation.account_id
                messages.success(
                    request,
                    _("Welcome to %(account)s! Your account is verified.")
                    % {"account": invitation.account.name},
                )
                return redirect("account_home", account_id=invitation.account_id)
        return render(request, self.template, {"form": form, "invitation": invitation}, status=422)


class InvitationRenewView(View):
    """From the expired-link page: send a fresh link to the invited address."""

    def post(self, request, token: str):
        try:
            invitation = services.invitation_from_token(token)
        except NotFound:
            return render(request, "accounts/invitation_invalid.html", {}, status=404)
        services.invitation_renew(invitation=invitation)
        # The same answer whether or not a link went out: the page must not reveal state.
        return render(request, "accounts/invitation_renewed.html", {"invitation": invitation})


class AvailabilityView(AccountMixin, View):
    """The availability selector in the sidebar (online, busy, offline). htmx gets the selector
    back as the server stored it: the new state, or, when the change was refused, the state it
    kept with the reason, so the select never shows a choice that was not saved."""

    template = "partials/availability.html"

    def post(self, request, account_id: int):
        try:
            membership = services.availability_set(
                account=self.account,
                membership=self.membership,
                availability=request.POST.get("availability", ""),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
            if request.htmx:
                self.membership.refresh_from_db(fields=["availability"])
                context = {"current_membership": self.membership, "availability_error": error}
                return render(request, self.template, context, status=422)
            messages.error(request, error)
        else:
            if request.htmx:
                return render(request, self.template, {"current_membership": membership})
        back = request.META.get("HTTP_REFERER", "")
        if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("account_home", account_id=account_id)


class PlatformLoginView(View):
    """The sign-in link of the Platform API's users/{id}/login: used once, then it is gone."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        user = services.platform_login_redeem(token)
        if user is None:
            return render(request, "accounts/platform_login_invalid.html", status=404)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
