"""URLs of rendered ECG views."""

from django.urls import path

from ecg_render.views import rendered_ecg

app_name = "ecg_render"
urlpatterns = [
    path("<str:token>.<str:fmt>", rendered_ecg, name="rendered"),
]
