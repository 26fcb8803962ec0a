"""The Celery application: Redis broker in CI and production, eager in the demo."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("ecg_turing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
