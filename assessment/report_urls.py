"""Staff report URLs (mounted at staff/reports/, namespace "reports")."""

from django.urls import path

from assessment.views import reports

app_name = "reports"
urlpatterns = [
    path("<int:pk>/", reports.dashboard, name="dashboard"),
    path("<int:pk>/export/<slug:fmt>/", reports.export, name="export"),
]
