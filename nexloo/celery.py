"""The Celery application. Periodic tasks are listed in `nexloo.schedule`."""

import os

from celery import Celery

from nexloo.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexloo.settings")

app = Celery("nexloo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
