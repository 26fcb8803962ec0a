"""The assessment app: blinded real-versus-synthetic reader studies."""

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = "Reader studies"
