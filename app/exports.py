"""Export bytes: PNG/SVG via kaleido (one browser per process), self-contained HTML, CSV, file names.

kaleido 1.x starts a Chrome for every ``to_image`` unless a sync server runs, so the first export
starts one server for the life of the process with ``mathjax=False`` (otherwise it tries a CDN
and can stall on a hanging network) and the system Chromium (``BROWSER_PATH``).
"""
from __future__ import annotations

import copy
import os
import re
import shutil
import threading
import warnings
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

_KALEIDO_LOCK = threading.Lock()
_KALEIDO_STARTED = False
EXPORT_TEMPLATE = "plotly_white"
EXPORT_WIDTH = 1100
EXPORT_HEIGHT = 560

MIME = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "html": "text/html",
    "csv": "text/csv",
    "pdf": "application/pdf",
}


def _system_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def ensure_kaleido() -> None:
    """Start kaleido's sync server once per process (idempotent, thread-safe)."""
    global _KALEIDO_STARTED
    if _KALEIDO_STARTED:
        return
    with _KALEIDO_LOCK:
        if _KALEIDO_STARTED:
            return
        import kaleido

        chrome = _system_chromium()
        if chrome and not os.environ.get("BROWSER_PATH"):
            os.environ["BROWSER_PATH"] = chrome
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        _KALEIDO_STARTED = True


def _for_export(fig: go.Figure) -> go.Figure:
    """A copy with a fixed light template and size, so files look the same whichever theme is on screen."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    out.update_layout(template=EXPORT_TEMPLATE, paper_bgcolor="white", plot_bgcolor="white")
    return out


def _image(fig: go.Figure, fmt: str, width: int, height: int, scale: float) -> bytes:
    ensure_kaleido()
    with _KALEIDO_LOCK, warnings.catch_warnings():  # one tab: serialise concurrent sessions
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        return pio.to_image(_for_export(fig), format=fmt, width=width, height=height, scale=scale)


def figure_png(fig: go.Figure, width: int = EXPORT_WIDTH, height: int = EXPORT_HEIGHT, scale: float = 2) -> bytes:
    """PNG bytes of a figure (kaleido)."""
    return _image(fig, "png", width, height, scale)


def figure_svg(fig: go.Figure, width: int = EXPORT_WIDTH, height: int = EXPORT_HEIGHT) -> bytes:
    """SVG bytes of a figure (kaleido)."""
    return _image(fig, "svg", width, height, 1)


def figure_html(fig: go.Figure) -> bytes:
    """A self-contained HTML page (plotly.js inlined: opens offline)."""
    return _for_export(fig).to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def table_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes of a table (UTF-8, no index)."""
    return frame.to_csv(index=False).encode("utf-8")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-").lower() or "x"


def _day(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "all"
    return pd.Timestamp(value).strftime("%Y-%m-%d") if not isinstance(value, date) else value.strftime("%Y-%m-%d")


def export_filename(ticker: str | None, chart: str, start=None, end=None, ext: str = "png",
                    simulated: bool = False) -> str:
    """``<ticker>_<chart>_<start>_<end>[_simulated].<ext>``, e.g. ``AXGI_price-volume_1998-07-01_1999-12-31.png``."""
    tick = re.sub(r"[^A-Za-z0-9.-]+", "", (ticker or "all").upper().replace("^", "idx-")) or "all"
    parts = [tick, _slug(chart), _day(start), _day(end)]
    if simulated:
        parts.append("simulated")
    return "_".join(parts) + f".{ext.lstrip('.')}"
