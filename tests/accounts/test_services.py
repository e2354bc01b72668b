"""Services of the accounts app: agents, invitations, tokens, last-administrator rules."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import close_old_connections
from django.utils import timezone

from accounts import selectors, services
from accounts.models import AccountUser, Invitation, Role, User
from nexloo.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.factories import AccountUserFactory, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def add_agent(account, admin, on_commit, **kwargs):
    fields = {"name": "Carla Comercial", "email": "carla@exemplo.com.br", "role": Role.AGENT}
    fields.update(kwargs)
    with on_commit():
        return services.agent_add(account=account, actor=admin, **fields)


class TestCreateAccount:
    def test_account_with_admin_and_working_token(self):
        new = services.account_create_with_admin(
            name="Loja Azul",
            admin_email="Dono@LojaAzul.com.br",
            admin_name="Dono",
            password="Uma-senha-boa-9",
        )
        assert new.account.timezone == "America/Sao_Paulo"
        assert new.admin.role == Role.ADMINISTRATOR
        assert new.admin.user.email == "dono@lojaazul.com.br"
        assert new.admin.user.check_password("Uma-senha-boa-9")
        owner = selectors.token_owner(new.api_access_token)
        assert owner is not None and owner.user == new.admin.user
        assert services.user_is_verified(new.admin.user)

    def test_weak_password_is_refused_and_nothing_is_created(self):
        with pytest.raises(ValidationError) as exc:
            services.account_create_with_admin(
                name="Loja", admin_email="a@b.com.br", admin_name="A", password="123"
            )
        assert "password" in exc.value.message_dict
        assert not User.objects.filter(email="a@b.com.br").exists()

    def test_unknown_timezone_is_refused(self):
        with pytest.raises(ValidationError):
            services.account_create(name="Loja", timezone_name="Mars/Olympus")


class TestAgentAdd:
    def test_new_person_gets_user_membership_and_invitation_email(self, account, admin, on_commit):
        membership = add_agent(account, admin, on_commit)
        user = membership.user
        assert membership.role == Role.AGENT
        assert membership.inviter == admin.user
        assert not user.has_usable_password()
        assert not services.user_is_verified(user)
        assert (
            Invitation.objects.filter(account=account, user=user, sent_at__isnull=False).count()
            == 1
        )
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["carla@exemplo.com.br"]
        assert "Crie sua senha e verifique sua conta" in message.subject
        html = message.alternatives[0][0]
        assert "/invitation/" in message.body and "/invitation/" in html

    def test_email_is_in_the_account_language(self, account, admin, on_commit):
        account.locale = "en"
        account.save()
        add_agent(account, admin, on_commit)
        assert "Create your password and verify your account" in mail.outbox[0].subject

    def test_existing_user_is_invited_not_pulled_in(self, account, admin, on_commit):
        elsewhere = AccountUserFactory(user__email="carla@exemplo.com.br", user__name="Carla B")
        membership = add_agent(account, admin, on_commit, email="CARLA@exemplo.com.br")
        assert membership.user == elsewhere.user
        assert membership.user.check_password("Senha-de-teste-42")
        assert membership.accepted_at is None  # pending: no access until they accept
        with pytest.raises(NotFound):
            selectors.membership_get(user=elsewhere.user, account_id=account.pk)
        assert [m.account_id for m in selectors.memberships_of(user=elsewhere.user)] == [
            elsewhere.account_id
        ]
        assert Invitation.objects.filter(user=elsewhere.user, account=account).count() == 1
        assert len(mail.outbox) == 1
        assert "Você recebeu um convite" in mail.outbox[0].subject
        # The name typed is this account's name for them; theirs is unchanged.
        assert membership.shown_name == "Carla Comercial"
        elsewhere.user.refresh_from_db()
        assert elsewhere.user.name == "Carla B"

    def test_duplicate_email_in_the_same_account_changes_nothing(self, account, admin, on_commit):
        add_agent(account, admin, on_commit)
        mail.outbox.clear()
        with pytest.raises(ValidationError) as exc:
            add_agent(account, admin, on_commit, name="Outra Carla")
        assert "email" in exc.value.message_dict
        assert AccountUser.objects.filter(account=account).count() == 2
        assert mail.outbox == []

    @pytest.mark.parametrize("email", ["", "sem-arroba", "a@", "@b.com"])
    def test_invalid_email(self, account, admin, on_commit, email):
        with pytest.raises(ValidationError) as exc:
            add_agent(account, admin, on_commit, email=email)
        assert "email" in exc.value.message_dict
        assert AccountUser.objects.filter(account=account).count() == 1

    def test_unknown_role(self, account, admin, on_commit):
        with pytest.raises(ValidationError) as exc:
            add_agent(account, admin, on_commit, role="owner")
        assert "role" in exc.value.message_dict
        assert not User.objects.filter(email="carla@exemplo.com.br").exists()

    def test_agent_cannot_add_agents(self, account, agent, on_commit):
        with pytest.raises(PermissionDenied):
            add_agent(account, agent, on_commit)
        assert not User.objects.filter(email="carla@exemplo.com.br").exists()

    def test_admin_of_another_account_cannot_add_here(self, account, outsider, on_commit):
        with pytest.raises(NotFound):
            add_agent(account, outsider, on_commit)


class TestLastAdministrator:
    def test_cannot_remove_the_last_administrator(self, account, admin):
        with pytest.raises(Conflict):
            services.agent_remove(account=account, actor=admin, membership=admin)
        assert AccountUser.objects.filter(pk=admin.pk).exists()

    def test_cannot_demote_the_last_administrator(self, account, admin):
        with pytest.raises(Conflict):
            services.agent_update(account=account, actor=admin, membership=admin, role="agent")
        admin.refresh_from_db()
        assert admin.role == Role.ADMINISTRATOR

    def test_a_pending_administrator_does_not_count(self, account, admin, on_commit):
        """An invited administrator has no access until they accept: the account would be left
        with nobody who can administer it."""
        pending = add_agent(account, admin, on_commit, role=Role.ADMINISTRATOR)
        assert pending.accepted_at is None
        with pytest.raises(Conflict):
            services.agent_remove(account=account, actor=admin, membership=admin)
        with pytest.raises(Conflict):
            services.agent_update(account=account, actor=admin, membership=admin, role="agent")
        admin.refresh_from_db()
        assert admin.role == Role.ADMINISTRATOR
        assert AccountUser.objects.filter(account=account).count() == 2

    def test_a_pending_administrator_can_be_withdrawn(self, account, admin, on_commit):
        pending = add_agent(account, admin, on_commit, role=Role.ADMINISTRATOR)
        services.agent_update(account=account, actor=admin, membership=pending, role="agent")
        services.agent_remove(account=account, actor=admin, membership=pending)
        assert list(AccountUser.objects.filter(account=account)) == [admin]

    def test_once_accepted_the_invited_administrator_counts(self, account, admin, on_commit):
        pending = add_agent(account, admin, on_commit, role=Role.ADMINISTRATOR)
        AccountUser.objects.filter(pk=pending.pk).update(accepted_at=timezone.now())
        services.agent_remove(account=account, actor=pending, membership=admin)
        assert list(AccountUser.objects.filter(account=account)) == [pending]

    def test_with_two_administrators_one_may_leave(self, account, admin):
        second = AdminFactory(account=account)
        services.agent_remove(account=account, actor=second, membership=admin)
        assert list(AccountUser.objects.filter(account=account)) == [second]

    @pytest.mark.django_db(transaction=True)
    def test_two_administrators_demoting_each_other_at_once_leave_one(self, account):
        first = AdminFactory(account=account)
        second = AdminFactory(account=account)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def demote(actor, target):
            try:
                barrier.wait()
                services.agent_update(account=account, actor=actor, membership=target, role="agent")
                outcomes.append("ok")
            except (Conflict, PermissionDenied):
                outcomes.append("refused")
            finally:
                close_old_connections()

        threads = [
            threading.Thread(target=demote, args=(first, second)),
            threading.Thread(target=demote, args=(second, first)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["ok", "refused"]
        assert AccountUser.objects.filter(account=account, role=Role.ADMINISTRATOR).count() == 1


class TestRemoveAndUpdate:
    def test_remove_agent_keeps_the_user_and_revokes_pending_links(self, account, admin, on_commit):
        membership = add_agent(account, admin, on_commit)
        services.agent_remove(account=account, actor=admin, membership=membership)
        assert not AccountUser.objects.filter(pk=membership.pk).exists()
        assert User.objects.filter(pk=membership.user_id).exists()
        invitation = Invitation.objects.get(user=membership.user)
        assert not invitation.is_usable()

    def test_update_role_name_and_availability(
        self, account, admin, agent, recorded_events, on_commit
    ):
        with on_commit():
            services.agent_update(
                account=account,
                actor=admin,
                membership=agent,
                name="Sofia S.",
                role="administrator",
                availability="available",
            )
        agent.refresh_from_db()
        agent.user.refresh_from_db()
        assert (agent.role, agent.availability, agent.shown_name) == (
            "administrator",
            "online",
            "Sofia S.",
        )
        assert agent.user.name == "Sofia Secretária"  # the person's own name is theirs
        assert [e.name for e in recorded_events] == ["account_user.updated"]

    def test_availability_change_emits_presence_update(
        self, account, agent, recorded_events, on_commit
    ):
        with on_commit():
            services.availability_set(account=account, membership=agent, availability="busy")
        assert [e.name for e in recorded_events] == ["presence.update"]
        assert recorded_events[0].data["users"] == {str(agent.user_id): "busy"}
        assert recorded_events[0].everyone

    def test_events_are_not_sent_when_the_transaction_rolls_back(
        self, account, agent, recorded_events
    ):
        # No on_commit capture here: the test transaction never commits.
        services.availability_set(account=account, membership=agent, availability="busy")
        assert recorded_events == []


class TestInvitation:
    def _invitation(self, account, admin, on_commit):
        membership = add_agent(account, admin, on_commit)
        return Invitation.objects.get(user=membership.user), membership

    def test_accept_sets_password_verifies_and_uses_the_link(self, account, admin, on_commit):
        invitation, _membership = self._invitation(account, admin, on_commit)
        user = services.invitation_accept(invitation=invitation, password="Nova-senha-forte-1")
        assert user.check_password("Nova-senha-forte-1")
        assert services.user_is_verified(user)
        invitation.refresh_from_db()
        assert invitation.used_at is not None
        with pytest.raises(Conflict):
            services.invitation_accept(invitation=invitation, password="Outra-senha-forte-2")
        user.refresh_from_db()
        assert user.check_password("Nova-senha-forte-1")

    def test_weak_password_leaves_the_link_usable(self, account, admin, on_commit):
        invitation, _ = self._invitation(account, admin, on_commit)
        with pytest.raises(ValidationError):
            services.invitation_accept(invitation=invitation, password="12345678")
        invitation.refresh_from_db()
        assert invitation.is_usable()

    def test_link_expires_after_the_configured_time(self, account, admin, on_commit, settings):
        settings.INVITATION_TTL = timedelta(hours=2)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            invitation, _ = self._invitation(account, admin, on_commit)
            clock.shift(timedelta(hours=1, minutes=59))
            assert invitation.is_usable()
            clock.shift(timedelta(minutes=2))
            assert not invitation.is_usable()
            with pytest.raises(Conflict):
                services.invitation_accept(invitation=invitation, password="Nova-senha-forte-1")

    def test_token_round_trip_and_tampering(self, account, admin, on_commit):
        invitation, _ = self._invitation(account, admin, on_commit)
        token = services.invitation_token(invitation)
        assert services.invitation_from_token(token) == invitation
        for bad in [
            token[:-1] + ("0" if token[-1] != "0" else "1"),
            "abc",
            "",
            f"{invitation.pk}-",
        ]:
            with pytest.raises(NotFound):
                services.invitation_from_token(bad)

    def test_resend_supersedes_the_old_link(self, account, admin, on_commit):
        first, membership = self._invitation(account, admin, on_commit)
        with on_commit():
            second = services.invitation_send(account=account, actor=admin, membership=membership)
        first.refresh_from_db()
        assert not first.is_usable() and second.is_usable()
        assert len(mail.outbox) == 2
        assert services.invitation_token(second) in mail.outbox[1].body

    def test_resend_to_a_verified_user_sends_no_link(self, account, admin, agent, on_commit):
        with on_commit():
            result = services.invitation_send(account=account, actor=admin, membership=agent)
        assert result is None
        assert "Agora você faz parte da conta" in mail.outbox[0].subject

    def test_renew_from_the_expired_page_has_a_cooldown(self, account, admin, on_commit):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            invitation, _ = self._invitation(account, admin, on_commit)
            clock.shift(timedelta(days=4))
            with on_commit():
                renewed = services.invitation_renew(invitation=invitation)
            assert renewed is not None and renewed.is_usable()
            with on_commit():
                assert services.invitation_renew(invitation=invitation) is None
            assert len(mail.outbox) == 2

    def test_renew_after_removal_sends_nothing(self, account, admin, on_commit):
        invitation, membership = self._invitation(account, admin, on_commit)
        services.agent_remove(account=account, actor=admin, membership=membership)
        with on_commit():
            assert services.invitation_renew(invitation=invitation) is None
        assert len(mail.outbox) == 1

    def test_sending_task_is_idempotent(self, account, admin, on_commit):
        from accounts.tasks import send_invitation

        invitation, _ = self._invitation(account, admin, on_commit)
        assert send_invitation(invitation.pk) is False
        assert len(mail.outbox) == 1


class TestTokens:
    def test_regenerating_invalidates_the_old_token(self, agent):
        old = services.access_token_regenerate(user=agent.user)
        new = services.access_token_regenerate(user=agent.user)
        assert selectors.token_owner(old) is None
        assert selectors.token_owner(new).user == agent.user

    def test_tokens_are_stored_hashed(self, agent):
        token = services.access_token_regenerate(user=agent.user)
        stored = agent.user.access_token
        stored.refresh_from_db()
        assert token not in (stored.token_hash, stored.hint) and stored.hint == token[:6]


def test_agents_list_annotates_verification(account, admin, on_commit):
    add_agent(account, admin, on_commit)
    UserFactory()  # unrelated users do not show up
    rows = {m.user.email: m.verified for m in selectors.agents_list(membership=admin)}
    assert rows == {admin.user.email: True, "carla@exemplo.com.br": False}
    assert EmailAddress.objects.filter(email="carla@exemplo.com.br", verified=False).exists()
