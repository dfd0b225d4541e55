"""Export bytes: PNG/SVG via kaleido (one browser per process), self-contained HTML, CSV, file names.

kaleido 1.x starts a Chrome for every ``to_image`` unless a sync server runs, so the first export
starts one server for the life of the process with ``mathjax=False`` (otherwise it tries a CDN
and can stall on a hanging network) and the system Chromium (``BROWSER_PATH``).

No request leaves the machine: kaleido 1.5 has no option for extra browser flags, but it passes
``browser_cls`` through to choreographer's ``Browser``, so :class:`OfflineChromium` appends
:data:`OFFLINE_CHROMIUM_FLAGS` (background networking, component updates, first-run, field trials and
safe-browsing pings off, every host name resolved to "not found" except localhost) to the command
line choreographer builds. ``tests/test_app_exports.py`` runs an export under ``strace`` and fails on
any connect to a non-loopback address.

CSV cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, tab
or CR) are written with a leading ``'`` (OWASP "CSV injection"); numbers stay numbers, so -0.05 is
still -0.05. :func:`table_csv` is the only CSV writer of the dashboard.
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


# Chromium switches (chromium's content/public/common/content_switches.cc and chrome_switches.cc).
OFFLINE_CHROMIUM_FLAGS = (
    "--disable-background-networking",   # no update, safe-browsing, variations or suggestion fetches
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-field-trial-config",
    "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions,DialMediaRouteProvider",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--dns-prefetch-disable",
    "--metrics-recording-only",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
)


def _offline_chromium_class():
    from choreographer.browsers.chromium import Chromium

    class OfflineChromium(Chromium):
        """choreographer's Chromium with :data:`OFFLINE_CHROMIUM_FLAGS` on its command line."""

        def get_cli(self):
            cli = list(super().get_cli())
            return cli + [flag for flag in OFFLINE_CHROMIUM_FLAGS if flag not in cli]

    return OfflineChromium


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
        kaleido.start_sync_server(mathjax=False, silence_warnings=True, browser_cls=_offline_chromium_class())
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


from analytics.csv_safety import FORMULA_START, neutralise_cell, safe_csv_bytes  # noqa: E402,F401


def table_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes of a table (UTF-8, no index, CRLF rows), text cells neutralised (:func:`neutralise_cell`)."""
    return safe_csv_bytes(frame)


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
