"""Pure statistics for the synthetic-vs-real ECG reader study (no Django)."""
