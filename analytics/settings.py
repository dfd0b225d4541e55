"""The method settings that change a result, declared once (name, URL key, default, bounds, help).

Every page, the ROI report, the CSV exports and ``python -m analytics`` read the settings through
this declaration only, so a link carries the whole method and the same defaults hold everywhere
(the layout follows datasette's settings: one table of named settings with a default and a help
text, parsed in one place).

:func:`parse_settings` takes the URL's strings (hostile: anything a link can hold) and returns the
settings plus a list of refusals in plain words; a refused value falls back to its default and is
never ignored silently. Bounds (issue 11, point 5): estimation start at least -1,000 trading days,
event windows within +-250 days, at most 10 windows, real calendar dates in a period.

Pure: no Streamlit, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable, Mapping

from analytics.constants import (ACTIVITY_TYPE_CODES, DEFAULT_ESTIMATION_WINDOW, DEFAULT_EVENT_WINDOWS,
                                 MIN_ESTIMATION_OBS, THIN_TRADING_AUTO_SHARE, activity_label)

#: Bounds on URL state (issue 11 point 5). Offsets are the stock's own trading days.
MIN_ESTIMATION_START = -1000
MAX_EVENT_OFFSET = 250
MAX_WINDOWS = 10
MAX_TEXT = 2000         # characters of a URL value read at all (a longer value is refused whole)
MIN_YEAR, MAX_YEAR = 1900, 2100

MODELS: dict[str, str] = {"market": "Market model", "market_adjusted": "Market-adjusted",
                          "constant_mean": "Constant mean"}
THIN_METHODS: dict[str, str] = {"auto": "Automatic (follows the data)", "none": "None (close-to-close)",
                                "trade_to_trade": "Trade-to-trade", "dimson": "Dimson betas"}
PERIODS: dict[str, str] = {"engagement": "The engagement", "all": "All history", "1y": "Last 12 months",
                           "custom": "Custom range"}

_INT = r"[-+\u2212]?\d{1,12}"
_ONE_WINDOW = re.compile(rf"^\s*({_INT})\s*(?:\.\.|:|,|\s+to\s+)\s*({_INT})\s*$")
_RANGE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})$")


def _int(text: str) -> int:
    return int(text.replace("\u2212", "-"))


def format_window(window: tuple[int, int]) -> str:
    """``(-1, 1)`` -> ``"-1..1"`` (the URL's spelling)."""
    return f"{int(window[0])}..{int(window[1])}"


def format_windows(windows) -> str:
    """``((-1, 1), (0, 5))`` -> ``"-1..1,0..5"``."""
    return ",".join(format_window(w) for w in windows)


def parse_window(text: str, *, what: str = "window") -> tuple[tuple[int, int] | None, str | None]:
    """``"-120..-11"`` (or ``-120:-11``, ``-120,-11``) -> ``((-120, -11), None)``; else ``(None, why)``."""
    m = _ONE_WINDOW.match(text or "")
    if not m:
        return None, (f"the {what} {_quote(text)} is not two day numbers such as -1..1 "
                      "(first day, two dots, last day)")
    a, b = _int(m.group(1)), _int(m.group(2))
    if a > b:
        return None, f"the {what} {_quote(text)} ends before it starts: write the earlier day first ({b}..{a})"
    return (a, b), None


def _quote(text) -> str:
    text = str(text)
    return repr(text if len(text) <= 40 else text[:40] + "...")


# --- the values -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodSettings:
    """Everything that changes a result besides the data: the same object on every page and in the CLI.

    ``period`` is a code (``engagement``, ``all``, ``1y``) or ``YYYY-MM-DD..YYYY-MM-DD``; ``types``
    the activity types shown (empty: all types).
    """

    model: str = "market"
    thin: str = "auto"
    est: tuple[int, int] = tuple(DEFAULT_ESTIMATION_WINDOW)
    windows: tuple[tuple[int, int], ...] = tuple(tuple(w) for w in DEFAULT_EVENT_WINDOWS)
    period: str = "engagement"
    types: tuple[str, ...] = ()

    @property
    def thin_trading(self) -> str | None:
        """The event-study argument: None for close-to-close."""
        return None if self.thin == "none" else self.thin

    def query(self, *, all_keys: bool = False) -> dict[str, str]:
        """URL parameters of these settings (only those that differ from the default, unless ``all_keys``)."""
        out = {}
        for s in SETTINGS:
            value = getattr(self, s.name)
            if all_keys or value != s.default:
                out[s.key] = s.format(value)
        return out

    def describe(self) -> str:
        """The settings in one plain line, for the report's first page and the CLI."""
        types = ", ".join(activity_label(t) for t in self.types) if self.types else "all types"
        return (f"model: {MODELS[self.model].lower()}; thin trading: {THIN_METHODS[self.thin].lower()}; "
                f"estimation window: days {format_window(self.est)}; event windows: days "
                f"{', '.join(format_window(w) for w in self.windows)}; period: {period_words(self.period)}; "
                f"activity types: {types}")


def period_words(period: str) -> str:
    m = _RANGE.match(period or "")
    if m:
        return f"{period[:10]} to {period[12:]}"
    return PERIODS.get(period, period).lower()


# --- the declaration ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One setting: attribute ``name``, URL ``key``, ``default``, allowed values or bounds, help.

    ``parse(text) -> (value, refusal or None)``; ``format(value) -> str`` is its URL spelling.
    """

    name: str
    key: str
    label: str
    default: Any
    help: str
    parse: Callable[[str], tuple[Any, str | None]]
    format: Callable[[Any], str]
    choices: Mapping[str, str] | None = None
    bounds: str = ""


def _choice(table: Mapping[str, str], what: str):
    def parse(text: str):
        code = text.strip()
        if code in table:
            return code, None
        by_label = {v.lower(): k for k, v in table.items()}
        if code.lower() in by_label:
            return by_label[code.lower()], None
        return None, f"{what} {_quote(text)} is not one of: {', '.join(t.lower() for t in table.values())}"
    return parse


def _parse_est(text: str):
    w, why = parse_window(text, what="estimation window")
    if w is None:
        return None, why
    if w[0] < MIN_ESTIMATION_START:
        return None, (f"the estimation window {_quote(text)} starts more than {-MIN_ESTIMATION_START:,} "
                      f"trading days before the activity: start it at {MIN_ESTIMATION_START:,} or later")
    if w[1] >= 0:
        return None, (f"the estimation window {_quote(text)} must end before day 0 (the activity), "
                      "e.g. -120..-11")
    if w[1] - w[0] + 1 < MIN_ESTIMATION_OBS:
        return None, (f"the estimation window {_quote(text)} has {w[1] - w[0] + 1} trading days; the model needs "
                      f"at least {MIN_ESTIMATION_OBS}: choose a longer one, e.g. -120..-11")
    return w, None


def _split_windows(text: str) -> list[str]:
    # windows are separated by commas, semicolons or spaces; a bare "a,b" is one window
    if _ONE_WINDOW.match(text):
        return [text]
    return [p for p in re.split(r"\s*[;,]\s*|\s+(?=[-+\u2212]?\d)", text.strip()) if p]


def parse_windows(text: str) -> tuple[tuple[tuple[int, int], ...] | None, list[str]]:
    """Event windows from text: ``"-1..1,0..5"``; returns ``(windows or None, refusals)``.

    Each window lies within +-``MAX_EVENT_OFFSET`` days; at most ``MAX_WINDOWS`` are kept (the
    first ones, said in the refusals); repeated windows count once.
    """
    problems: list[str] = []
    out: list[tuple[int, int]] = []
    parts = _split_windows(text)
    for part in parts:
        w, why = parse_window(part, what="event window")
        if w is None:
            problems.append(why)
            continue
        if min(w) < -MAX_EVENT_OFFSET or max(w) > MAX_EVENT_OFFSET:
            problems.append(f"the event window {_quote(part)} reaches beyond {MAX_EVENT_OFFSET} trading days from "
                            f"the activity: keep both days within -{MAX_EVENT_OFFSET}..{MAX_EVENT_OFFSET}")
            continue
        if w not in out:
            out.append(w)
    if len(out) > MAX_WINDOWS:
        problems.append(f"too many event windows: {len(out)} event windows given, at most {MAX_WINDOWS} are "
                        f"studied; the first {MAX_WINDOWS} are used")
        out = out[:MAX_WINDOWS]
    return (tuple(out) or None), problems


def _parse_windows_setting(text: str):
    wins, problems = parse_windows(text)
    return wins, ("; ".join(problems) if problems else None)


def _real_date(y: str, m: str, d: str) -> date | None:
    try:
        day = date(int(y), int(m), int(d))
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def _parse_period(text: str):
    code = text.strip()
    if code in PERIODS and code != "custom":
        return code, None
    m = _RANGE.match(code)
    if not m:
        return None, (f"the period {_quote(text)} is not one of {', '.join(k for k in PERIODS if k != 'custom')} "
                      "or a date range such as 2024-01-02..2024-06-28")
    a, b = _real_date(*m.group(1, 2, 3)), _real_date(*m.group(4, 5, 6))
    for day, part in ((a, code[:10]), (b, code[12:])):
        if day is None:
            return None, (f"the period {_quote(text)} has {part}, which is not a calendar date between "
                          f"{MIN_YEAR} and {MAX_YEAR}")
    if a > b:
        return None, f"the period {_quote(text)} ends before it starts: write the earlier date first"
    return code, None


def _parse_types(text: str):
    codes, bad = [], []
    for part in (p.strip() for p in text.split(",")):
        if not part or part == "all":
            continue
        code, _ = _choice(dict(zip(ACTIVITY_TYPE_CODES, map(activity_label, ACTIVITY_TYPE_CODES))), "")(part)
        if code is None:
            bad.append(part)
        elif code not in codes:
            codes.append(code)
    if bad:
        return (tuple(codes) if codes else None), (f"unknown activity type {', '.join(map(_quote, bad))} "
                                                    "(left out)")
    return tuple(codes), None


SETTINGS: tuple[Setting, ...] = (
    Setting("model", "model", "Model", "market",
            "How the expected return is estimated over the estimation window: the market model (OLS on the "
            "benchmark), market-adjusted (the benchmark's return) or the stock's constant mean.",
            _choice(MODELS, "the model"), str, choices=MODELS),
    Setting("thin", "thin", "Thin trading", "auto",
            "For stocks that do not trade every day: trade-to-trade returns (Maynes and Rumsey 1993) when many "
            "days have no trade; Dimson (1979) betas when the stock trades most days but reacts late. "
            "Automatic (the default) uses trade-to-trade returns when more than "
            f"{THIN_TRADING_AUTO_SHARE:.0%} of the stock's days had no trade, close-to-close returns otherwise, "
            "and says which it chose and why.",
            _choice(THIN_METHODS, "the thin-trading method"), str, choices=THIN_METHODS),
    Setting("est", "est", "Estimation window", tuple(DEFAULT_ESTIMATION_WINDOW),
            "Trading days relative to day 0 over which the model is estimated, e.g. -120..-11.",
            _parse_est, format_window,
            bounds=f"starts at {MIN_ESTIMATION_START} or later, ends before day 0, at least {MIN_ESTIMATION_OBS} days"),
    Setting("windows", "win", "Event windows", tuple(tuple(w) for w in DEFAULT_EVENT_WINDOWS),
            "Trading days relative to day 0 whose abnormal returns are summed, comma-separated, e.g. -1..1,0..5.",
            _parse_windows_setting, format_windows,
            bounds=f"each day within -{MAX_EVENT_OFFSET}..{MAX_EVENT_OFFSET}, at most {MAX_WINDOWS} windows"),
    Setting("period", "period", "Period", "engagement",
            "The dates shown and studied: the engagement, all history, the last 12 months or a date range.",
            _parse_period, str, choices=PERIODS, bounds=f"calendar dates between {MIN_YEAR} and {MAX_YEAR}"),
    Setting("types", "types", "Activity types", (),
            "The activity types shown (comma-separated codes or labels; empty: all types).",
            _parse_types, lambda v: ",".join(v),
            choices=dict(zip(ACTIVITY_TYPE_CODES, map(activity_label, ACTIVITY_TYPE_CODES)))),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
DEFAULTS = MethodSettings()


@dataclass(frozen=True)
class Parsed:
    """:func:`parse_settings`' answer: the settings used and what was refused, in plain words."""

    settings: MethodSettings
    refusals: tuple[str, ...] = field(default_factory=tuple)


def parse_settings(params: Mapping[str, Any], base: MethodSettings | None = None) -> Parsed:
    """Settings from URL strings (``{"model": "market", "est": "-120..-11", "win": "-1..1,0..5"}``).

    Missing or empty keys keep ``base`` (the defaults); a refused value keeps it too and adds one
    sentence to ``refusals`` saying what was wrong and what was used instead. Keys this declaration
    does not know are left alone (they belong to the view: client, ticker). A value given as a list
    (Streamlit's repeated query parameters) uses its last element.
    """
    cur = base or DEFAULTS
    values: dict[str, Any] = {}
    refusals: list[str] = []
    for s in SETTINGS:
        raw = params.get(s.key) if hasattr(params, "get") else None
        if isinstance(raw, (list, tuple)):
            raw = raw[-1] if raw else None
        if raw is None:
            continue
        text = str(raw)
        if text.strip() == "":
            continue
        if len(text) > MAX_TEXT:
            refusals.append(f"{s.label}: the value is {len(text):,} characters long (at most {MAX_TEXT}); "
                            f"{s.format(getattr(cur, s.name)) or 'the default'} used instead.")
            continue
        value, why = s.parse(text)
        if why:
            used = value if value is not None else getattr(cur, s.name)
            refusals.append(_sentence(f"{why}; {_used_words(s, used)} used instead." if value is None
                                      else f"{why}."))
        if value is not None:
            values[s.name] = value
    out = replace(cur, **values)
    if out.model == "constant_mean" and out.thin == "dimson":
        refusals.append("Thin trading: Dimson betas adjust the market model's beta, and the constant-mean model has "
                        "no beta; trade-to-trade returns used instead (or choose the market model).")
        out = replace(out, thin="trade_to_trade")
    first = min(a for a, _ in out.windows)
    if out.est[1] >= first:
        est = DEFAULTS.est if DEFAULTS.est[1] < first else (first - 110, first - 1)
        refusals.append(f"Estimation window: days {format_window(out.est)} overlap the event windows, which start "
                        f"on day {first}; the estimation window must end before them: days {format_window(est)} "
                        "used instead.")
        out = replace(out, est=est)
    return Parsed(out, tuple(refusals))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _used_words(s: Setting, value) -> str:
    text = s.format(value)
    if s.choices and text in s.choices:
        return s.choices[text].lower()
    if s.name == "types" and not value:
        return "all types"
    return text or "the default"


def resolve_period(period: str, *, data_start=None, data_end=None, engagement_start=None,
                   engagement_end=None):
    """Dates ``(start, end)`` of a period code (``engagement``, ``all``, ``1y`` or ``YYYY-MM-DD..YYYY-MM-DD``).

    ``engagement`` is the engagement's own dates (clipped to the data; the event study reads the
    estimation window's prices before them from the whole history); ``1y`` the last 12 months of
    data; ``all`` (and anything unknown) the data's span. None where a date is unknown.
    """
    import pandas as pd

    ts = lambda v: None if v is None or pd.isna(v) else pd.Timestamp(v).normalize()  # noqa: E731
    data_start, data_end = ts(data_start), ts(data_end)
    m = _RANGE.match(period or "")
    if m:
        return pd.Timestamp(period[:10]), pd.Timestamp(period[12:])
    if period == "engagement" and engagement_start is not None:
        start = ts(engagement_start)
        end = ts(engagement_end) or data_end
        if data_start is not None:
            start = max(start, data_start)
        if data_end is not None and end is not None:
            end = min(max(end, start), data_end) if end > data_end else end
        return start, end
    if period == "1y" and data_end is not None:
        return data_end - pd.DateOffset(years=1), data_end
    return data_start, data_end


def compatible_thin_methods(model: str) -> dict[str, str]:
    """The thin-trading methods a model can use (Dimson betas need a beta: not with the constant mean)."""
    return {k: v for k, v in THIN_METHODS.items() if not (model == "constant_mean" and k == "dimson")}
