"""The generator app: the ECG store, PTB-XL import, SSSD-ECG-nle training and sampling."""

from django.apps import AppConfig


class GeneratorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generator"
    verbose_name = "ECG store and generator"
