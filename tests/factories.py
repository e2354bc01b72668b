"""factory_boy factories. Factories may write models directly (STYLE.md, rule 2)."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import Account, AccountUser, Availability, Role, User
from conversations.models import Contact, ContactInbox, Conversation, Message
from conversations.services.conversations import _next_display_id
from inboxes.models import Inbox, InboxMember
from teams.models import Team, TeamMember

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
    # Available unless a test says otherwise (no heartbeat needed).
    availability = Availability.ONLINE
    auto_offline = False


class AdminFactory(AccountUserFactory):
    role = Role.ADMINISTRATOR


# --- Inboxes, teams, conversations -------------------------------------------------------------


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Caixa {n}")
    timezone = "America/Sao_Paulo"


class InboxMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InboxMember

    inbox = factory.SubFactory(InboxFactory)
    account = factory.SelfAttribute("inbox.account")
    account_user = factory.SubFactory(
        AccountUserFactory, account=factory.SelfAttribute("..account")
    )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Time {n}")
    allow_auto_assign = True


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    account = factory.SelfAttribute("team.account")
    account_user = factory.SubFactory(
        AccountUserFactory, account=factory.SelfAttribute("..account")
    )


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Cliente {n}")
    phone_number = factory.Sequence(lambda n: f"+55119{n:08d}")


class ContactInboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactInbox

    inbox = factory.SubFactory(InboxFactory)
    account = factory.SelfAttribute("inbox.account")
    contact = factory.SubFactory(ContactFactory, account=factory.SelfAttribute("..account"))
    source_id = factory.LazyAttribute(lambda o: o.contact.phone_number.lstrip("+"))


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation written directly (no events, no intake): for reads and setups."""

    class Meta:
        model = Conversation

    contact_inbox = factory.SubFactory(ContactInboxFactory)
    account = factory.SelfAttribute("contact_inbox.account")
    inbox = factory.SelfAttribute("contact_inbox.inbox")
    contact = factory.SelfAttribute("contact_inbox.contact")
    # The account's own sequence, so factories and services never hand out the same number.
    display_id = factory.LazyAttribute(lambda o: _next_display_id(o.account.pk))
    intake_done_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    account = factory.SelfAttribute("conversation.account")
    inbox = factory.SelfAttribute("conversation.inbox")
    message_type = "incoming"
    sender_type = "contact"
    content = factory.Sequence(lambda n: f"Mensagem {n}")
