from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "nexloo.demo"
    label = "demo"
