"""Pure planning of reader studies: case matching, reader orders, attention traces (no Django)."""
