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
