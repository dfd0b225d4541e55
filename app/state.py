"""Shareable view state: client, ticker, period and windows live in the URL (``st.query_params``).

Each value is read from the widget (when rendered), else from a session mirror (query parameters
are cleared when ``st.navigation`` switches page), else from the URL, else the default; after the
widget is drawn it is written back to both, so a copied link opens the same view.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from analytics import settings as method
from analytics.constants import DEFAULT_EVENT_WINDOWS

PERIODS: dict[str, str] = dict(method.PERIODS)
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def _mirror(name: str) -> str:
    return f"_url_{name}"


def url_value(name: str, default: str | None = None) -> str | None:
    """The remembered value of a URL parameter (session mirror, then URL, then default)."""
    if _mirror(name) in st.session_state:
        return st.session_state[_mirror(name)]
    value = st.query_params.get(name)
    return value if value not in (None, "") else default


def remember(name: str, value) -> None:
    """Write a view value to the session mirror and the URL (None removes it)."""
    if value is None or value == "":
        st.session_state.pop(_mirror(name), None)
        if name in st.query_params:
            del st.query_params[name]
        return
    text = str(value)
    st.session_state[_mirror(name)] = text
    if st.query_params.get(name) != text:
        st.query_params[name] = text


def _widget_changed(name: str, key: str) -> None:
    """on_change of a synced widget: the user's choice goes to the mirror before the script reruns."""
    remember(name, st.session_state.get(key))


def synced_selectbox(label: str, options: list, name: str, default=None, container=st, **kwargs):
    """A selectbox whose value is kept in the URL under ``name``.

    The widget is seeded from the URL/session mirror on every run (a widget's own state does not
    survive a page switch reliably); a change by the user reaches the mirror first, in ``on_change``.
    """
    if not options:
        remember(name, None)
        return None
    key = f"w_{name}"
    wanted = url_value(name, None if default is None else str(default))
    by_text = {str(o): o for o in options}
    st.session_state[key] = by_text.get(wanted, options[0] if default is None else by_text.get(str(default),
                                                                                             options[0]))
    value = container.selectbox(label, options, key=key, on_change=_widget_changed, args=(name, key), **kwargs)
    remember(name, value)
    return value


def synced_checkbox(label: str, name: str, default: bool = False, container=st, **kwargs) -> bool:
    """A checkbox whose value is kept in the URL under ``name`` (``1`` / ``0``; absent = default)."""
    key = f"w_{name}"
    if key not in st.session_state:
        st.session_state[key] = url_value(name, "1" if default else "0") == "1"
    value = bool(container.checkbox(label, key=key, **kwargs))
    remember(name, None if value == default else ("1" if value else "0"))
    return value


# --- the method settings (declared once in analytics.settings) ------------------------------------

def method_settings() -> method.Parsed:
    """The settings of this view, read from the URL (or the session mirror) through the one declaration.

    Refused values fall back to their defaults; ``refusals`` says what and why (show it on the page).
    """
    raw = {s.key: url_value(s.key) for s in method.SETTINGS}
    return method.parse_settings({k: v for k, v in raw.items() if v is not None})


def keep_settings(settings: method.MethodSettings) -> None:
    """Write every setting into the URL (and the session mirror): a copied link carries the whole method."""
    for key, value in settings.query(all_keys=True).items():
        if key != "period":  # the period selector writes its own key
            remember(key, value)


def parse_window(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """``"-120..-11"`` -> (-120, -11); anything unreadable or reversed gives the default."""
    w, _ = method.parse_window(text or "")
    return w if w is not None else default


format_window = method.format_window
format_windows = method.format_windows


def parse_windows(text: str | None, default=DEFAULT_EVENT_WINDOWS) -> tuple[tuple[int, int], ...]:
    """``"-1..1,0..5"`` -> ((-1, 1), (0, 5)); the default when nothing valid is given."""
    wins, _ = method.parse_windows(text or "")
    return wins or tuple(default)


def estimation_window() -> tuple[int, int]:
    return method_settings().settings.est


def event_windows() -> tuple[tuple[int, int], ...]:
    return method_settings().settings.windows


# --- the view ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """What the sidebar selected: every page reads it."""

    client_id: str | None
    client_name: str | None
    ticker: str | None
    benchmark: str | None
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    period: str
    settings: method.MethodSettings = method.DEFAULTS

    @property
    def label(self) -> str:
        span = f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}" if self.start is not None and self.end is not None else "all dates"
        return f"{self.client_name or self.ticker or 'no client'} · {self.ticker or '-'} · {span}"


resolve_period = method.resolve_period


def _period_changed(key: str, whole_range: str) -> None:
    choice = st.session_state.get(key)
    remember("period", whole_range if choice == "custom" else choice)


def period_controls(container, *, data_start=None, data_end=None, has_engagement=False) -> str:
    """Period selector (+ a date range for custom); returns the period code kept in the URL."""
    parsed = method.parse_settings({"period": url_value("period") or ""})
    current = parsed.settings.period if url_value("period") else ("engagement" if has_engagement else "all")
    choice_default = "custom" if _RANGE.match(current) else current
    options = [k for k in PERIODS if k != "engagement" or has_engagement]
    if choice_default not in options:
        choice_default = options[0]
    key = "w_period_choice"
    lo = (data_start or pd.Timestamp("1990-01-01")).date()
    hi = (data_end or pd.Timestamp(date.today())).date()
    st.session_state[key] = choice_default  # seeded from the URL/mirror every run (see synced_selectbox)
    choice = container.selectbox("Period", options, key=key, format_func=PERIODS.get, on_change=_period_changed,
                                 args=(key, f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}"))
    if choice != "custom":
        remember("period", choice)
        return choice
    m = _RANGE.match(current)
    initial = (pd.Timestamp(m.group(1)).date(), pd.Timestamp(m.group(2)).date()) if m else (lo, hi)
    initial = (min(max(initial[0], lo), hi), min(max(initial[1], lo), hi))
    rng = container.date_input("Dates", value=initial, min_value=lo, max_value=hi, key="w_period_range")
    if isinstance(rng, (tuple, list)) and len(rng) == 2:
        code = f"{rng[0]:%Y-%m-%d}..{rng[1]:%Y-%m-%d}"
    else:
        code = f"{initial[0]:%Y-%m-%d}..{initial[1]:%Y-%m-%d}"
    remember("period", code)
    return code
