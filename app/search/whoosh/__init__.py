"""The Whoosh backend: analysis, writing, term-at-a-time scoring and per-segment doc values."""
