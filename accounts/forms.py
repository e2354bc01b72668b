"""Forms of the accounts pages. They validate input and call services; no rules live here."""

from __future__ import annotations

from allauth.account.forms import LoginForm, SignupForm
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.countries import country_choices
from accounts.extensions import agent_form_extensions
from accounts.models import Account, AccountUser, Language, Role
from accounts.selectors import shown_name_sql
from accounts.timezones import timezone_choices
from nexloo.core.validators import validate_single_line


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Shows a service's ValidationError on the form's fields (or on top when it has no field)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class EmailLoginForm(LoginForm):
    """allauth's sign-in form, labelled the way our pages say it ("E-mail")."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("E-mail")


class AgentsField(forms.ModelMultipleChoiceField):
    """Boxes to tick the account's people, named with their role (inbox and team members)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(queryset=AccountUser.objects.none(), **kwargs)

    def limit_to(self, account: Account) -> None:
        self.queryset = (
            AccountUser.objects.for_account(account)
            .select_related("user")
            .order_by(shown_name_sql())
        )

    def label_from_instance(self, obj: AccountUser) -> str:
        return f"{obj.shown_name} ({obj.get_role_display()})"


class CompanySignupForm(SignupForm):
    """The public sign-up: a company and its first administrator."""

    company_name = forms.CharField(
        label=_("Company name"), max_length=255, validators=[validate_single_line]
    )
    name = forms.CharField(label=_("Your name"), max_length=255, validators=[validate_single_line])

    field_order = ["company_name", "name", "email", "password1"]

    def save(self, request):
        with transaction.atomic():
            return super().save(request)

    def signup(self, request, user) -> None:
        services.account_signup(user=user, company_name=self.cleaned_data["company_name"])


class AgentForm(forms.Form):
    """Adicionar Agente: nome, e-mail, perfil, and what other apps contribute (departamento)."""

    name = forms.CharField(label=_("Name"), max_length=255, validators=[validate_single_line])
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)

    def __init__(self, *args, account: Account, membership: AccountUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.membership = membership
        self.extension_fields: list[str] = []
        for extension in agent_form_extensions:
            for name, field in extension.fields(account).items():
                self.fields[name] = field
                self.extension_fields.append(name)
                if membership is not None:
                    self.initial.setdefault(name, extension.initial(membership).get(name))
        if membership is not None:
            # Editing: the e-mail is the person's login and is theirs to change, not ours.
            del self.fields["email"]
            self.initial.setdefault("name", membership.shown_name)
            self.initial.setdefault("role", membership.role)

    def save(self, *, actor: AccountUser) -> AccountUser | None:
        """Creates or updates the agent; returns None and fills the errors when refused."""
        try:
            with transaction.atomic():
                if self.membership is None:
                    membership = services.agent_add(
                        account=self.account,
                        actor=actor,
                        name=self.cleaned_data["name"],
                        email=self.cleaned_data["email"],
                        role=self.cleaned_data["role"],
                    )
                else:
                    membership = services.agent_update(
                        account=self.account,
                        actor=actor,
                        membership=self.membership,
                        name=self.cleaned_data["name"],
                        role=self.cleaned_data["role"],
                    )
                for extension in agent_form_extensions:
                    extension.save(
                        account=self.account,
                        actor=actor,
                        membership=membership,
                        cleaned_data=self.cleaned_data,
                    )
        except ValidationError as exc:
            apply_service_errors(self, exc)
            return None
        return membership


class AccountSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Company name"), max_length=255, validators=[validate_single_line]
    )
    locale = forms.ChoiceField(label=_("Account language"), choices=Language.choices)
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)
    support_email = forms.EmailField(label=_("Support e-mail"), required=False)
    country = forms.ChoiceField(
        label=_("Country"),
        choices=country_choices,
        required=False,  # left out: the account keeps its country
        help_text=_("Phone numbers typed without a country code are read in this country."),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=255, validators=[validate_single_line])
    display_name = forms.CharField(
        label=_("Display name"), max_length=255, required=False, validators=[validate_single_line]
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class SetPasswordForm(forms.Form):
    """The invitation page: the new agent chooses a password."""

    name = forms.CharField(label=_("Your name"), max_length=255, validators=[validate_single_line])
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Confirm the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned
