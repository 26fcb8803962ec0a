"""Readers of ECG files (WFDB records, PTB-XL, published arrays); pure, no Django."""

from generator.records.errors import RecordError

__all__ = ["RecordError"]
