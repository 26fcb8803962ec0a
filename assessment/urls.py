"""Reader and staff pages of the assessment app (mounted at the site root)."""

from django.urls import path, register_converter

from assessment.views import images, privacy, reader, staff


class TokenConverter:
    """An opaque token (``models.new_token``: 22 URL-safe characters). Anything else, a
    NUL byte included, never reaches a view: the URL does not match (404)."""

    regex = "[A-Za-z0-9_-]{22}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "token")

app_name = "assessment"
urlpatterns = [
    path("", reader.home, name="home"),
    path("r/<token:token>/", reader.study_continue, name="continue"),
    path("r/<token:token>/consent/", reader.consent, name="consent"),
    path("r/<token:token>/instructions/", reader.instructions, name="instructions"),
    path("r/<token:token>/reveal/", reader.reveal, name="reveal"),
    path("r/<token:token>/done/", reader.done, name="done"),
    path("r/<token:token>/closed/", reader.closed, name="closed"),
    path("item/<token:token>/", reader.item, name="item"),
    path("item/<token:token>/feedback/", reader.feedback, name="feedback"),
    path("panel/<token:token>.svg", images.panel_image, name="panel-image"),
    path("staff/", staff.study_list, name="staff-home"),
    path("staff/studies/", staff.study_list, name="staff-study-list"),
    path("staff/studies/<int:pk>/", staff.study_detail, name="staff-study-detail"),
    path("staff/studies/<int:pk>/audit/", staff.study_audit, name="staff-study-audit"),
    path("staff/studies/<int:pk>/open/", staff.study_open_view, name="staff-study-open"),
    path("staff/studies/<int:pk>/enrol/", staff.study_enrol_view, name="staff-study-enrol"),
    path("staff/studies/<int:pk>/close/", staff.study_close_view, name="staff-study-close"),
    path("staff/privacy/<int:pk>/", privacy.screen_detail, name="staff-privacy-screen"),
    path("staff/privacy/ecg/<int:pk>/", privacy.screened_ecg, name="staff-privacy-ecg"),
]
