"""Moved: the pages' reads and shaping live in ``app/views/`` and the computations in ``analytics/``.

Only the three names another module still imports remain here, as aliases of
``app.views.common``; import them from there. This file is deleted once nothing imports it.
"""
from __future__ import annotations

from app.views.common import answer, client_engagement, prices  # noqa: F401 - aliases for old imports
