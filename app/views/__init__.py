"""Per-page view functions: the cached reads a page needs and the shaping of what it lays out (no layout here)."""
