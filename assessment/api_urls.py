"""REST API routes of the assessment app (mounted under /api/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from assessment.views import api

app_name = "assessment-api"
router = SimpleRouter()
router.register("studies", api.StudyViewSet, basename="study")
urlpatterns = [
    *router.urls,
    path("studies/<int:pk>/cases/", api.StudyCaseList.as_view(), name="study-cases"),
    path("my/assignments/", api.MyAssignmentList.as_view(), name="my-assignments"),
    path("judgments/", api.JudgmentCreate.as_view(), name="judgment-create"),
]
