"""Report writers for a reader study: long CSV, JSON summary and a self-contained HTML report."""
