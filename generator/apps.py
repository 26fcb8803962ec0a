"""The generator app: the ECG store, PTB-XL import, SSSD-ECG-nle training and sampling."""

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class GeneratorConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "generator"
    verbose_name = "ECG store and generator"

    def ready(self) -> None:
        """Refuse a misspelt ``GENERATOR_POINTWISE`` when a process starts, not in a job."""
        from generator.core.pointwise import configured_way

        try:
            configured_way()
        except ValueError as exc:
            raise ImproperlyConfigured(str(exc)) from None
