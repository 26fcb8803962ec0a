"""Staff pages of the privacy screen: a screen's results, and one synthetic ECG drawn next
to its nearest training record (both through the staff preview renderer)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from assessment.previews import preview_token_of_id
from assessment.views.access import staff_only
from generator.core.leads import STANDARD_LEADS
from generator.models import PrivacyScreen, ScreenedECG
from generator.privacy import privacy_screen_summary


def _svg_url(ecg_id: int) -> str:
    return reverse("ecg_render:rendered", args=[preview_token_of_id(ecg_id), "svg"])


@staff_only
@require_safe
def screen_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A screen's summary and its synthetic ECGs, flagged ones first, closest first."""
    screen = get_object_or_404(PrivacyScreen, pk=pk)
    results = screen.results.order_by("-flagged", "dcr")
    shown = privacy_screen_summary(screen)
    context = {"screen": screen, "summary": screen.summary, "shown": shown, "results": results}
    return render(request, "assessment/staff/privacy_screen.html", context)


@staff_only
@require_safe
def screened_ecg(request: HttpRequest, pk: int) -> HttpResponse:
    """One screened synthetic ECG next to its nearest training record, with distances."""
    result = get_object_or_404(ScreenedECG.objects.select_related("screen"), pk=pk)
    context = {
        "result": result,
        "screen": result.screen,
        "shown": privacy_screen_summary(result.screen),
        "synthetic_svg": _svg_url(result.ecg_id),
        "nearest_svg": _svg_url(result.nearest_id) if result.nearest_id else "",
        "leads": list(zip(STANDARD_LEADS, result.lead_distances, strict=False)),
    }
    return render(request, "assessment/staff/privacy_match.html", context)
