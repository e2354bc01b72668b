from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "nexloo.core"
    label = "core"
    verbose_name = "Nexloo kernel"
