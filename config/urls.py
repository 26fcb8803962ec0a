"""Root URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assessment.views.access import LoginView, LogoutView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("ecg/", include("ecg_render.urls")),
    # The split view serves its start-up script as a file: no inline script, so the
    # Content Security Policy needs no exception.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("assessment.api_urls")),
    path("staff/reports/", include("assessment.report_urls")),
    path("", include("assessment.urls")),
]
