from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"

    def ready(self) -> None:
        from accounts.extensions import register_agent_form_extension
        from teams.forms import DepartmentField

        register_agent_form_extension(DepartmentField())
