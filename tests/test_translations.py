"""The pt-BR catalogues are complete, and the labels of Cenário 4 exist word for word."""

from __future__ import annotations

import os
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from nexloo.core.management.commands.compiletranslations import catalogues

# Labels the help-center article (SCENARIO.md) names, as the English msgid we use for each.
SCENARIO_LABELS = {
    "Settings": "Configurações",
    "Agents": "Agentes",
    "Add Agent": "Adicionar Agente",
    "Add agent": "Adicionar agente",
    "Verification pending": "Verificação pendente",
    "Administrator": "Administrador",
    "Agent": "Agente",
    "Create your password and verify your account": "Crie sua senha e verifique sua conta",
    # Caixas de Entrada (inboxes)
    "Inboxes": "Caixas de Entrada",
    "Inbox": "Caixa de Entrada",
    "Add Inbox": "Adicionar Caixa de Entrada",
    "Collaborators": "Colaboradores",
    "Business hours": "Horário de atendimento",
    "Sunday": "Domingo",
    "Monday": "Segunda-feira",
    "Tuesday": "Terça-feira",
    "Wednesday": "Quarta-feira",
    "Thursday": "Quinta-feira",
    "Friday": "Sexta-feira",
    "Saturday": "Sábado",
    # Times/Departamentos (teams)
    "Teams": "Times",
    "Teams / Departments": "Times/Departamentos",
    "Create new team": "Criar novo time",
    "Department": "Departamento",
    "Description": "Descrição",
    "Routing message": "Mensagem de direcionamento",
    "Allow automatic assignment": "Permitir atribuição automática",
    # Configurações → Integrações → Webhooks
    "Integrations": "Integrações",
    "Webhooks": "Webhooks",
}


def pt_br_catalogues() -> list[Path]:
    return [p for p in catalogues() if "pt_BR" in p.parts]


def project_po_files() -> set[Path]:
    """Every `*/locale/*/LC_MESSAGES/*.po` of the checkout, outside hidden folders (`.venv`)."""
    found = set()
    for root, dirs, files in os.walk(settings.BASE_DIR):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"]
        here = Path(root)
        if here.name == "LC_MESSAGES" and here.parent.parent.name == "locale":
            found.update(here / f for f in files if f.endswith(".po"))
    return found


def test_every_catalogue_of_the_project_is_compiled():
    assert project_po_files() <= set(catalogues())
    assert any("webhooks" in p.parts for p in pt_br_catalogues())


def test_no_catalogue_comes_from_the_virtualenv():
    base = Path(settings.BASE_DIR)
    for path in catalogues():
        assert path.is_relative_to(base)
        assert not any(part.startswith(".") for part in path.relative_to(base).parts)


def test_every_app_with_strings_has_a_pt_br_catalogue():
    names = {p.relative_to(settings.BASE_DIR).parts[0] for p in pt_br_catalogues()}
    assert {"locale", "accounts", "inboxes", "teams"} <= names


@pytest.mark.parametrize(
    "path", pt_br_catalogues(), ids=lambda p: str(p.relative_to(settings.BASE_DIR))
)
def test_catalogue_is_complete(path):
    po = polib.pofile(str(path))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


@pytest.mark.parametrize(("msgid", "label"), sorted(SCENARIO_LABELS.items()))
def test_scenario_labels_word_for_word(msgid, label):
    with translation.override("pt-br"):
        assert translation.gettext(msgid) == label
