"""The ecg_render app: paper-grid views of 12-lead ECGs."""

from django.apps import AppConfig


class EcgRenderConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ecg_render"
    verbose_name = "ECG rendering"
