"""Cenário 4, steps 1–2 in the browser: the administrator adds an agent, the agent sets a
password from the e-mail, and shows as verified in the administrator's list."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts import services
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_adds_agent_who_sets_password_from_the_email(live_server_url, new_page):
    new = services.account_create_with_admin(
        name="Cenário 4 Ltda",
        admin_email="admin@cenario4.com.br",
        admin_name="Ana Administradora",
        password="Senha-do-admin-1",
    )
    admin = new_page("admin")
    sign_in(admin, live_server_url, "admin@cenario4.com.br", "Senha-do-admin-1")

    # Configurações → Agentes → Adicionar Agente (top right).
    admin.get_by_role("group", name="Configurações").get_by_role("link", name="Agentes").click()
    expect(admin.get_by_role("heading", name="Agentes")).to_be_visible()
    admin.get_by_role("link", name="Adicionar Agente").click()
    admin.get_by_label("Nome").fill("Sofia Secretária")
    admin.get_by_label("E-mail").fill("sofia@cenario4.com.br")
    admin.get_by_label("Perfil").select_option(label="Agente")
    admin.get_by_role("button", name="Adicionar agente").click()

    # Back on the list, the new agent is not verified yet.
    row = admin.locator('tr[data-agent-email="sofia@cenario4.com.br"]')
    expect(row).to_contain_text("Verificação pendente")
    expect(admin.get_by_role("status")).to_contain_text(
        "Enviamos um e-mail para sofia@cenario4.com.br"
    )

    # The invitation e-mail, in Portuguese, carries the link.
    message = next(m for m in mail.outbox if m.to == ["sofia@cenario4.com.br"])
    assert "Crie sua senha e verifique sua conta" in message.subject
    link = re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)
    assert link.startswith(live_server_url)

    agent = new_page("agent")
    agent.goto(link)
    expect(agent.get_by_role("heading", name="Crie sua senha")).to_be_visible()
    agent.get_by_label("Senha", exact=True).fill("Senha-da-sofia-2")
    agent.get_by_label("Confirme a senha").fill("Senha-da-sofia-2")
    agent.get_by_role("button", name="Criar senha e verificar conta").click()
    expect(agent.get_by_role("status")).to_contain_text("Sua conta está verificada")
    assert f"/app/accounts/{new.account.pk}/" in agent.url

    # The same link does not work twice.
    agent.goto(link)
    expect(agent.get_by_role("heading", name="Este link já foi usado")).to_be_visible()

    admin.reload()
    expect(admin.locator('tr[data-agent-email="sofia@cenario4.com.br"]')).to_contain_text(
        "Verificado"
    )


def test_a_user_of_another_account_accepts_by_email_and_then_sees_both(live_server_url, new_page):
    """Issue 8 §1: adding someone who already has a user invites them; they are in only after
    following the e-mailed link and signing in, and their name stays theirs."""
    a = services.account_create_with_admin(
        name="Loja A", admin_email="ana@loja-a.com.br", admin_name="Ana", password="Senha-da-ana-1"
    )
    b = services.account_create_with_admin(
        name="Loja B", admin_email="bia@loja-b.com.br", admin_name="Bia", password="Senha-da-bia-1"
    )
    admin = new_page("admin-a")
    sign_in(admin, live_server_url, "ana@loja-a.com.br", "Senha-da-ana-1")
    admin.goto(f"{live_server_url}/app/accounts/{a.account.pk}/settings/agents/new/")
    admin.get_by_label("Nome").fill("Bia da Loja B")
    admin.get_by_label("E-mail").fill("bia@loja-b.com.br")
    admin.get_by_role("button", name="Adicionar agente").click()
    row = admin.locator('tr[data-agent-email="bia@loja-b.com.br"]')
    expect(row).to_contain_text("Verificação pendente")

    # Bia, signed in to B, does not have A yet.
    bia = new_page("bia")
    sign_in(bia, live_server_url, "bia@loja-b.com.br", "Senha-da-bia-1")
    bia.goto(f"{live_server_url}/app/accounts/{a.account.pk}/")
    assert "Loja A" not in bia.content() or bia.title().startswith("404")
    expect(bia.locator("#account-switch")).to_have_count(0)

    message = next(m for m in mail.outbox if m.to == ["bia@loja-b.com.br"])
    assert "Você recebeu um convite para Loja A" in message.subject
    link = re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)
    bia.goto(link)
    expect(bia.get_by_role("heading", name="Aceitar o convite")).to_be_visible()
    bia.get_by_role("button", name="Entrar em Loja A").click()
    bia.wait_for_url(f"**/app/accounts/{a.account.pk}/**")
    expect(bia.get_by_role("status")).to_contain_text(
        "Boas-vindas! Agora você faz parte de Loja A."
    )
    switch = bia.locator("#account-switch")
    expect(switch.locator("option")).to_have_text(["Loja A", "Loja B"])
    # Her own name is unchanged: B (and her profile) still say "Bia".
    expect(bia.locator(".me .who")).to_have_text("Bia")

    admin.reload()
    expect(admin.locator('tr[data-agent-email="bia@loja-b.com.br"]')).to_contain_text("Verificado")
    assert b.account.pk != a.account.pk
