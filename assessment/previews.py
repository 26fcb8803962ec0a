"""Staff previews of stored ECGs by opaque signed token (linked from the study dashboard's
case table); the ECG_RENDER_RESOLVERS entry that serves them through ``ecg_render``."""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest

from ecg_render.options import RenderOptions
from generator.core.harmonise import harmonise, viewing_spec
from generator.models import ECG

_PREVIEW_SALT = "generator.ecg-preview"  # kept: tokens issued before the move stay valid


def preview_token(ecg: ECG) -> str:
    """A signed token through which staff can view a stored ECG."""
    return preview_token_of_id(ecg.pk)


def preview_token_of_id(ecg_id: int) -> str:
    """``preview_token`` from the ECG's id alone (no need to load its signal)."""
    return signing.dumps(ecg_id, salt=_PREVIEW_SALT, compress=True)


def resolve_preview_token(request: HttpRequest, token: str):
    """ECG_RENDER_RESOLVERS entry: staff previews of store ECGs, harmonised with the default
    settings at their own rate (500 Hz when that lies outside 50-1000 Hz)."""
    if not request.user.is_staff:
        return None
    try:
        pk = signing.loads(token, salt=_PREVIEW_SALT)
    except signing.BadSignature:
        return None
    ecg = ECG.objects.filter(pk=pk).first()
    if ecg is None:
        return None
    spec = viewing_spec(ecg.sampling_rate)
    return harmonise(ecg.signal(), ecg.sampling_rate, spec), spec.sampling_rate, RenderOptions()
