"""The Celery application. Periodic tasks are listed in `nexloo.schedule`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")

app = Celery("nexloo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
