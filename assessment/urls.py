"""Reader and staff pages of the assessment app (mounted at the site root)."""

from django.urls import path

from assessment.views import images, reader, staff

app_name = "assessment"
urlpatterns = [
    path("", reader.home, name="home"),
    path("r/<str:token>/", reader.study_continue, name="continue"),
    path("r/<str:token>/consent/", reader.consent, name="consent"),
    path("r/<str:token>/instructions/", reader.instructions, name="instructions"),
    path("r/<str:token>/reveal/", reader.reveal, name="reveal"),
    path("r/<str:token>/done/", reader.done, name="done"),
    path("r/<str:token>/closed/", reader.closed, name="closed"),
    path("item/<str:token>/", reader.item, name="item"),
    path("item/<str:token>/feedback/", reader.feedback, name="feedback"),
    path("panel/<str:token>.svg", images.panel_image, name="panel-image"),
    path("staff/studies/", staff.study_list, name="staff-study-list"),
    path("staff/studies/<int:pk>/", staff.study_detail, name="staff-study-detail"),
    path("staff/studies/<int:pk>/audit/", staff.study_audit, name="staff-study-audit"),
    path("staff/studies/<int:pk>/open/", staff.study_open_view, name="staff-study-open"),
    path("staff/studies/<int:pk>/close/", staff.study_close_view, name="staff-study-close"),
]
