"""Opening dashboard pages in Streamlit's AppTest, and what they show as text (shared by the AppTest modules)."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("overview", "activities", "event_impact", "engagement", "integrity", "services", "peers", "roi_report", "data")
TEXT_ELEMENTS = ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")


def open_page(page: str, query: dict | None = None) -> AppTest:
    """Run dashboard.py (with ``query`` as URL parameters), switch to ``page``; fails on any exception shown."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    if query:
        at.query_params.update(query)
    at.run()
    if page != "overview":
        at.switch_page(f"app/pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Every text element's value, and each metric's label and value, one per line."""
    parts = [e.value for kind in TEXT_ELEMENTS for e in at.get(kind)]
    parts += [f"{m.label}: {m.value}" for m in at.get("metric")]
    # the pages escape text for markdown (app.ui.escape_md): read it as the browser shows it
    return re.sub(r"\\([^\w\s])", r"\1", "\n".join(str(p) for p in parts)).replace("  \n", "\n")
