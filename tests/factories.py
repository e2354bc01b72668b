"""factory_boy factories. Factories may write models directly (STYLE.md, rule 2)."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from accounts.models import Account, AccountUser, Availability, Role, User

PASSWORD = "Senha-de-teste-42"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Empresa {n}")
    locale = "pt-br"
    timezone = "America/Sao_Paulo"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"pessoa{n}@exemplo.com.br")
    name = factory.Sequence(lambda n: f"Pessoa {n}")
    language = "pt-br"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=obj, email=obj.email, primary=True, verified=extracted is not False
            )


class AccountUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountUser

    account = factory.SubFactory(AccountFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AGENT
    availability = Availability.ONLINE


class AdminFactory(AccountUserFactory):
    role = Role.ADMINISTRATOR
