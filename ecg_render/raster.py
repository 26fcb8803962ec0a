"""PNG and PDF output via cairosvg, with time stamps and producer metadata removed."""

from __future__ import annotations

import io
import numbers
import re
import struct
import zlib
from collections.abc import Iterator

import cairosvg
import cairosvg.surface
import numpy as np

from ecg_render.options import RenderOptions
from ecg_render.svg import render_svg

DEFAULT_DPI = 200
MAX_DPI = 1200
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks needed to decode the image; everything else (bKGD, tEXt, tIME, ...) is dropped.
_cairo = cairosvg.surface.cairo  # the cairocffi module cairosvg draws with
_PNG_KEPT_CHUNKS = (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND")
_INCHES_PER_METRE = 1 / 0.0254
# A PDF string with at most one level of nested parentheses, e.g. "(cairo 1.16 (https://..))".
_PDF_STRING = rb"\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)"
_PDF_INFO_ENTRY = re.compile(rb"/(?:CreationDate|ModDate|Producer|Creator)\s*" + _PDF_STRING)


def render_png(
    signal: np.ndarray,
    fs: float,
    options: RenderOptions | None = None,
    dpi: float = DEFAULT_DPI,
) -> bytes:
    """Render the ECG page as PNG bytes at ``dpi`` (254 dpi = 10 pixels per mm).

    The image is opaque RGB (paper has no transparency) and the file carries only the
    image and its physical resolution (pHYs), so the same input always gives the same
    bytes.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, numbers.Real) or not 0 < dpi <= MAX_DPI:
        raise ValueError(f"dpi must be a number in (0, {MAX_DPI}], got {dpi!r}")
    svg = render_svg(signal, fs, options)
    png = _OpaquePNGSurface.convert(bytestring=svg.encode("utf-8"), dpi=dpi)
    return strip_png_metadata(png, dpi)


class _OpaquePNGSurface(cairosvg.surface.PNGSurface):
    """cairosvg's PNG output drawn on an RGB surface (no alpha channel) over white."""

    def _create_surface(self, width: float, height: float):
        width, height = int(round(width)), int(round(height))
        surface = _cairo.ImageSurface(_cairo.FORMAT_RGB24, width, height)
        paper = _cairo.Context(surface)
        paper.set_source_rgb(1, 1, 1)
        paper.paint()
        return surface, width, height


def render_pdf(signal: np.ndarray, fs: float, options: RenderOptions | None = None) -> bytes:
    """Render the ECG page as a one-page PDF whose size is the page in millimetres.

    Cairo's creation date and producer entries are blanked out byte for byte, which keeps
    the cross-reference offsets valid and makes the output reproducible.
    """
    svg = render_svg(signal, fs, options)
    return strip_pdf_metadata(cairosvg.svg2pdf(bytestring=svg.encode("utf-8")))


def strip_png_metadata(png: bytes, dpi: float) -> bytes:
    """Keep only the decoding chunks of ``png`` and add a pHYs chunk for ``dpi``."""
    chunks = list(_png_chunks(png))
    kept = [(kind, data) for kind, data in chunks if kind in _PNG_KEPT_CHUNKS]
    pixels_per_metre = int(round(dpi * _INCHES_PER_METRE))
    physical = (b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1))
    kept.insert(1, physical)  # right after IHDR, before any image data
    return PNG_SIGNATURE + b"".join(_png_chunk(kind, data) for kind, data in kept)


def strip_pdf_metadata(pdf: bytes) -> bytes:
    """Replace the date and producer entries of the PDF info dictionary by spaces."""
    return _PDF_INFO_ENTRY.sub(lambda match: b" " * len(match.group(0)), pdf)


def _png_chunks(png: bytes) -> Iterator[tuple[bytes, bytes]]:
    if not png.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG stream")
    stream = io.BytesIO(png[len(PNG_SIGNATURE) :])
    while header := stream.read(8):
        length, kind = struct.unpack(">I4s", header)
        data = stream.read(length)
        stream.read(4)  # CRC, recomputed when the chunk is written again
        yield kind, data


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I4s", len(data), kind) + data + struct.pack(">I", crc)
