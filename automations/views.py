"""Configurações → Automação: the rules (on/off, last run, errors), the builder, a rule's runs,
clone and delete. Administrators only; another account's rule is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.mixins import AdminRequiredMixin
from automations import builder, selectors, services
from automations.forms import RuleForm
from automations.models import TIME_EVENTS, AutomationRule
from nexloo.core.params import query_int

FORM = "automations/form.html"


class RuleListView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        return render(
            request,
            "automations/list.html",
            {
                "rules": selectors.rules_list(membership=self.membership),
                "switched_off": list(
                    selectors.rules_disabled_by_errors(membership=self.membership)
                ),
            },
        )


class _Builder(AdminRequiredMixin, View):
    def _context(self, form, conditions, actions, errors=None, **extra):
        options = builder.Options(self.account)
        errors = errors or builder.RowErrors()
        return {
            "form": form,
            "condition_rows": [
                builder.condition_context(row, i, options, errors.conditions.get(i))
                for i, row in enumerate(conditions)
            ],
            "action_rows": [
                builder.action_context(row, i, options, errors.actions.get(i))
                for i, row in enumerate(actions)
            ],
            "list_errors": [m for k in ("conditions", "actions") for m in errors.other.get(k, [])],
            "time_events": sorted(TIME_EVENTS),
            **extra,
        }

    def _save(self, request, rule: AutomationRule | None):
        form = RuleForm(request.POST)
        conditions, actions = builder.rows_from_post(request.POST)
        errors = builder.RowErrors()
        if form.is_valid():
            fields = {
                **form.cleaned_data,
                "conditions": conditions,
                "actions": actions,
            }
            try:
                if rule is None:
                    saved = services.rule_create(
                        account=self.account, actor=self.membership, **fields
                    )
                else:
                    saved = services.rule_update(
                        account=self.account, actor=self.membership, rule=rule, **fields
                    )
            except ValidationError as exc:
                errors = builder.split_errors(exc)
                for name, problems in errors.other.items():
                    if name in form.fields:
                        form.add_error(name, problems)
            else:
                messages.success(request, _("Rule %(name)s saved.") % {"name": saved.name})
                return redirect("automations:list", account_id=self.account.pk)
        return render(
            request,
            FORM,
            self._context(form, conditions, actions, errors, rule=rule, creating=rule is None),
            status=422,
        )


class RuleCreateView(_Builder):
    def get(self, request, account_id: int):
        form = RuleForm(initial={"event_name": "conversation_created"})
        conditions = [{"attribute_key": "status", "filter_operator": "equal_to", "values": []}]
        actions = [{"action_name": "assign_team", "action_params": []}]
        return render(request, FORM, self._context(form, conditions, actions, creating=True))

    def post(self, request, account_id: int):
        return self._save(request, None)


class RuleEditView(_Builder):
    def _rule(self):
        return selectors.rule_get(membership=self.membership, rule_id=self.kwargs["rule_id"])

    def get(self, request, account_id: int, rule_id: int):
        rule = self._rule()
        form = RuleForm(
            initial={
                "name": rule.name,
                "description": rule.description,
                "event_name": rule.event_name,
                "delay_minutes": rule.delay_minutes,
            }
        )
        return render(request, FORM, self._context(form, rule.conditions, rule.actions, rule=rule))

    def post(self, request, account_id: int, rule_id: int):
        return self._save(request, self._rule())


class ConditionRowView(AdminRequiredMixin, View):
    """htmx: one condition row (a new one, or the same row with another attribute/operator)."""

    def get(self, request, account_id: int):
        index = _index(request)
        row = builder.condition_from(request.GET, index)
        context = builder.condition_context(row, index, builder.Options(self.account))
        return render(request, "automations/_condition_row.html", {"row": context})


class ActionRowView(AdminRequiredMixin, View):
    def get(self, request, account_id: int):
        index = _index(request)
        row = builder.action_from(request.GET, index)
        context = builder.action_context(row, index, builder.Options(self.account))
        return render(request, "automations/_action_row.html", {"row": context})


def _index(request) -> int:
    return query_int(request.GET, "index", default=0, minimum=0, maximum=10_000)


class RuleDetailView(AdminRequiredMixin, View):
    def get(self, request, account_id: int, rule_id: int):
        rule = selectors.rule_get(membership=self.membership, rule_id=rule_id)
        return render(
            request,
            "automations/detail.html",
            {"rule": rule, "runs": selectors.rule_runs(rule=rule)},
        )


class RuleToggleView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, rule_id: int):
        rule = selectors.rule_get(membership=self.membership, rule_id=rule_id)
        try:
            rule = services.rule_set_active(
                account=self.account, actor=self.membership, rule=rule, active=not rule.active
            )
        except ValidationError as exc:
            # Only switching on can fail: the rule as stored is no longer valid.
            messages.error(
                request,
                _("Rule %(name)s cannot be switched on: %(problems)s Edit it to fix this.")
                % {"name": rule.name, "problems": " ".join(exc.messages)},
            )
        else:
            text = (
                _("Rule %(name)s switched on.") if rule.active else _("Rule %(name)s switched off.")
            )
            messages.success(request, text % {"name": rule.name})
        return redirect("automations:list", account_id=self.account.pk)


class RuleCloneView(AdminRequiredMixin, View):
    def post(self, request, account_id: int, rule_id: int):
        rule = selectors.rule_get(membership=self.membership, rule_id=rule_id)
        try:
            copy = services.rule_clone(account=self.account, actor=self.membership, rule=rule)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("automations:list", account_id=self.account.pk)
        messages.success(request, _("Rule %(name)s created.") % {"name": copy.name})
        return redirect("automations:edit", account_id=self.account.pk, rule_id=copy.pk)


class RuleDeleteView(AdminRequiredMixin, View):
    def get(self, request, account_id: int, rule_id: int):
        rule = selectors.rule_get(membership=self.membership, rule_id=rule_id)
        return render(request, "automations/confirm_delete.html", {"rule": rule})

    def post(self, request, account_id: int, rule_id: int):
        rule = selectors.rule_get(membership=self.membership, rule_id=rule_id)
        services.rule_delete(account=self.account, actor=self.membership, rule=rule)
        messages.success(request, _("Rule %(name)s deleted.") % {"name": rule.name})
        return redirect("automations:list", account_id=self.account.pk)
