"""The executive ROI report as one HTML document (charts inlined as SVG) and as PDF (WeasyPrint).

The report follows the AMEC framework: inputs, activities, outtakes, outcomes, impact, each in
plain sentences with the numbers and their uncertainty, then a methodology appendix. A simulated
workspace is labelled on every page (a running header in print) and in the title.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.roi import value_interval_phrase
from app import exports

AMEC_SECTIONS = ("Inputs", "Activities", "Outtakes", "Outcomes", "Impact")

METHODOLOGY = [
    "Abnormal returns follow MacKinlay (1997): a market model estimated by OLS over an estimation window "
    "before each activity, abnormal return = actual return - expected return, cumulated over the event window.",
    "Relative days count the stock's own trading days; day 0 is the first trading day on or after the activity "
    "(the next one when it was announced after the close).",
    "Tests across events: BMP (Boehmer, Musumeci and Poulsen 1991) with the Kolari-Pynnonen (2010) adjustment "
    "for overlapping windows, Patell (1976), Corrado (1989) rank, Cowan (1992) generalized sign, Wilcoxon "
    "signed rank, and a placebo test on random non-event dates of the same stock.",
    "Thinly traded stocks: trade-to-trade returns (Maynes and Rumsey 1993) or Dimson (1979) betas; results "
    "with a high share of zero-volume days are flagged as unreliable.",
    "Abnormal value of an activity = sum over its event window of abnormal return x the previous day's market "
    "capitalisation. ROI = (abnormal value - cost) / cost; where its interval covers zero the result is "
    "reported as not distinguishable from zero.",
    "Cost = retainer shares at their value when issued + the option at its grant-date Black-Scholes value + "
    "finder's fees + direct activity costs. Dilution is shown in shares beside the dollars.",
    "Liquidity before and during the engagement (Amihud 2002; Corwin and Schultz 2012): daily turnover (shares "
    "traded / shares outstanding), the share of days without a trade, dollar volume (close x shares traded), "
    "Amihud illiquidity (absolute daily return per dollar traded, days with volume only) and the Corwin-Schultz "
    "bid-ask spread estimated from daily highs and lows. The before period is the estimation window's trading days "
    "before the engagement started. Differences are tested with the Mann-Whitney test (Fisher's exact test for the "
    "share of zero-volume days) and called significant below p = 0.10, the level of the report's 90% intervals. "
    "Both tests treat days as independent; liquidity is persistent from day to day, so their p-values are too "
    "small.",
    "Abnormal volume: the cumulative abnormal log turnover over the event window against the activity's own "
    "estimation window (Campbell and Wasley 1996).",
    "Persistence: the share of an activity's event-window abnormal return still there 20 and 60 trading days "
    "later. Kept at least half: persisted; turned around (share at or below zero): reversed.",
]

_CSS = """
@page { size: A4; margin: 18mm 15mm 18mm 15mm;
        @top-center { content: string(banner); color: #b03a2e; font-size: 9pt;
                      font-family: "DejaVu Sans", Arial, sans-serif; }
        @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; color: #666;
                        font-family: "DejaVu Sans", Arial, sans-serif; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 20pt; margin: 0 0 4pt 0; color: #1f4e79; }
h2 { font-size: 13.5pt; margin: 16pt 0 4pt 0; color: #1f4e79; border-bottom: 1px solid #c9d6e3; }
.meta { color: #555; font-size: 9pt; }
.banner { string-set: banner content(); border: 2px solid #b03a2e; color: #b03a2e; padding: 6pt 8pt;
          font-weight: bold; margin: 8pt 0; }
figure { margin: 8pt 0; page-break-inside: avoid; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #555; }
table { border-collapse: collapse; font-size: 8.5pt; margin: 6pt 0; width: 100%; page-break-inside: auto; }
th, td { border: 1px solid #ccd; padding: 2pt 4pt; text-align: right; }
th { background: #eef3f8; vertical-align: bottom; }
td { white-space: nowrap; }
td:first-child, th:first-child { text-align: left; }
.appendix { page-break-before: always; }
"""


@dataclass
class ReportContent:
    """What the report says: AMEC sections of sentences, charts, tables, and the context line."""

    title: str
    subtitle: str
    sections: dict[str, list[str]] = field(default_factory=dict)
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)   # (caption, figure)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (caption, table)
    simulated: bool = False
    notes: list[str] = field(default_factory=list)


SIMULATED_LABEL = ("SIMULATED DATA: the prices and volumes in this report are generated for the demo "
                   "workspace, not market history.")


def _svg(fig: go.Figure) -> str:
    svg = exports.figure_svg(fig, width=900, height=460).decode("utf-8")
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


def report_html(content: ReportContent, *, embed_charts: bool = True) -> str:
    """The whole report as a standalone HTML string (SVG charts inline, no external resources)."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(content.title)}</title>"
             f"<style>{_CSS}</style></head><body>"]
    if content.simulated:
        parts.append(f"<div class='banner'>{e(SIMULATED_LABEL)}</div>")
    parts.append(f"<h1>{e(content.title)}</h1><p class='meta'>{e(content.subtitle)} · generated "
                 f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC</p>")
    for name in AMEC_SECTIONS:
        sentences = content.sections.get(name) or ["Nothing to report for this part yet."]
        parts.append(f"<h2>{e(name)}</h2>" + "".join(f"<p>{e(s)}</p>" for s in sentences))
    for caption, fig in content.figures:
        body = _svg(fig) if embed_charts else ""
        parts.append(f"<figure>{body}<figcaption>{e(caption)}</figcaption></figure>")
    for caption, frame in content.tables:
        frame = frame.rename(columns=header_label)
        parts.append(f"<h2>{e(caption)}</h2>" + frame.to_html(index=False, na_rep="", float_format=_fmt,
                                                             border=0, escape=True))
    parts.append("<div class='appendix'><h2>Methodology</h2>"
                 + "".join(f"<p>{e(m)}</p>" for m in METHODOLOGY + content.notes) + "</div>")
    if content.simulated:
        parts.append(f"<p class='meta'><b>{e(SIMULATED_LABEL)}</b></p>")
    parts.append("</body></html>")
    return "".join(parts)


def header_label(column) -> str:
    """A column header for print: ``shares_issued`` becomes ``Shares issued`` (human labels pass through)."""
    text = str(column)
    if "_" in text or text.islower():
        text = text.replace("_", " ").strip()
        text = text[:1].upper() + text[1:]
    return text


def _fmt(v: float) -> str:
    if pd.isna(v):
        return ""
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}"
    return f"{v:.4f}"


def report_pdf(html_text: str) -> bytes:
    """PDF bytes of the report HTML (WeasyPrint, offline)."""
    from weasyprint import HTML

    return HTML(string=html_text, base_url=".").write_pdf()


# --- words and numbers for executives (pure: used by app.analysis to build the report) ----------------

MINUS = "\u2212"  # a real minus sign: "-$6.2M" reads as a dash in print


def money(v, *, exact: bool = False) -> str:
    """Dollars for a reader: ``$3,500``, ``$23k``, ``$6.3M``, ``-$6.2M`` (true minus); ``n/a`` when unknown.

    ``exact`` keeps whole dollars (``$3,500``) whatever the size, for tables of payments.
    """
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return "n/a"
    v = float(v)
    a, sign = abs(v), MINUS if v < 0 and round(abs(v)) > 0 else ""
    if exact or a < 1e4:
        return f"{sign}${a:,.0f}"
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.1f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f}M"
    return f"{sign}${a / 1e3:,.0f}k"


def price(v) -> str:
    """A share price, never rounded to cents: ``$0.0250`` (4 decimals under $1), ``$12.35``."""
    if v is None or pd.isna(v):
        return "n/a"
    return f"${v:,.4f}" if abs(v) < 1 else f"${v:,.2f}"


def percent(v, decimals: int = 0, *, signed: bool = False) -> str:
    """A fraction as a percentage with a true minus sign: ``+257%``, ``-7,057%``, ``0.59%``."""
    if v is None or not np.isfinite(v):
        return "n/a"
    text = f"{abs(v) * 100:,.{decimals}f}%"
    if v < 0 and text.strip("0.,%"):
        return MINUS + text
    return ("+" if signed and v > 0 else "") + text


def count(n: float, noun: str, plural: str | None = None) -> str:
    """``1 activity``, ``35 activities``, ``11 cost items`` (thousands separated)."""
    n = int(n)
    word = noun if n == 1 else (plural or (noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou"
                                            else noun + "s"))
    return f"{n:,} {word}"


def window_text(window) -> str:
    """An event window in words: ``days -1 to +1``."""
    a, b = int(window[0]), int(window[1])
    fmt = lambda d: f"{MINUS}{abs(d)}" if d < 0 else (f"+{d}" if d > 0 else "0")  # noqa: E731
    return f"days {fmt(a)} to {fmt(b)}"


def p_text(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


#: Column formats of :func:`format_table`.
_FORMATS = {
    "text": lambda v: "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v),
    "int": lambda v: "" if pd.isna(v) else f"{int(v):,}",
    "date": lambda v: "" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}",
    "money": lambda v: "" if pd.isna(v) else money(v),
    "dollars": lambda v: "" if pd.isna(v) else money(v, exact=True),
    "price": lambda v: "" if pd.isna(v) else price(v),
    "shares": lambda v: "" if pd.isna(v) else f"{v:,.0f}",
    "pct": lambda v: "" if pd.isna(v) else percent(v, 2),
}


def format_table(frame: pd.DataFrame, columns: list[tuple[str, str, str]]) -> pd.DataFrame:
    """The ``(column, label, format)`` subset of ``frame`` as display strings under human labels.

    Formats: ``text, int, date, money`` ($23k), ``dollars`` ($3,500), ``price`` (4 decimals under $1),
    ``shares`` (thousands separated), ``pct`` (a fraction shown as a percentage, 2 decimals). Columns
    missing from ``frame`` are left out.
    """
    out = pd.DataFrame(index=frame.index)
    for col, label, kind in columns:
        if col in frame:
            out[label] = frame[col].map(_FORMATS[kind])
    return out.reset_index(drop=True)


RETAINER_COLUMNS = [
    ("payment_no", "No.", "int"), ("payment_date", "Paid on", "date"), ("status", "Status", "text"),
    ("amount", "Retainer (USD)", "dollars"), ("price", "Price per share", "price"),
    ("shares_issued", "Shares issued", "shares"), ("cumulative_shares", "Cumulative shares", "shares"),
    ("cumulative_dilution", "Cumulative dilution", "pct"), ("value_at_issue", "Value when issued", "dollars"),
    ("value_marked", "Value at last close", "dollars"),
]

COST_COLUMNS = [("label", "Cost item", "text"), ("cost", "Cost (USD)", "money"),
                ("shares", "Shares issued or under option", "shares"), ("n_items", "Items", "int")]


def retainer_table(schedule: pd.DataFrame) -> pd.DataFrame:
    """The retainer schedule for print: payment, date, price, shares, dilution, value (status only if mixed)."""
    cols = RETAINER_COLUMNS
    if "status" in schedule and set(schedule["status"].dropna()) <= {"issued"}:
        cols = [c for c in cols if c[0] != "status"]
    return format_table(schedule, cols)


def cost_items_table(by_kind: pd.DataFrame) -> pd.DataFrame:
    """Program cost by kind with the total row (shares: the dilution each kind brings)."""
    frame = by_kind.assign(shares=by_kind["shares"].where(by_kind["shares"] > 0)) if "shares" in by_kind else by_kind
    return format_table(frame, COST_COLUMNS)


# --- outcomes: liquidity before vs during -------------------------------------------------------------

SIGNIFICANCE = 0.10  # the complement of the report's 90% intervals

# measure -> (what it is, how to print a level, word when it rises, word when it falls)
_LIQUIDITY = {
    "turnover": ("Daily turnover (shares traded as a share of shares outstanding)",
                 lambda v: percent(v, 3), "rose", "fell"),
    "zero_volume_share": ("The share of days without a single trade", lambda v: percent(v, 0), "rose", "fell"),
    "dollar_volume": ("Average daily dollar volume", money, "rose", "fell"),
    "amihud": ("Amihud illiquidity (the average daily price move, up or down, per dollar traded)", None,
               "rose", "fell"),
    "cs_spread": ("The estimated bid-ask spread (Corwin-Schultz, from daily highs and lows)",
                  lambda v: percent(v, 1), "widened", "narrowed"),
}
_BETTER_WHEN_LOWER = {"zero_volume_share", "amihud", "cs_spread"}


def _amihud_unit(a: float, b: float, scale: float):
    """Amihud as the price move per $1,000 or per $1 million traded (whichever reads under 100%).

    Returns ``(unit, format)``: ``format(v)`` prints a level ``v`` (per ``scale`` dollars) as a percentage.
    """
    per_dollar = max(abs(a) if np.isfinite(a) else 0, abs(b) if np.isfinite(b) else 0) / scale
    unit, mult = ("$1 million", 1e6) if per_dollar * 1e6 < 1 else ("$1,000", 1e3)
    base = 1 if per_dollar * mult >= 0.01 else 3
    # as many decimals (up to 3 more) as it takes for two different levels not to print the same
    decimals = next((d for d in range(base, base + 4)
                     if not (np.isfinite(a) and np.isfinite(b) and a != b)
                     or percent(a / scale * mult, d) != percent(b / scale * mult, d)), base + 3)
    return unit, lambda v: percent(v / scale * mult, decimals)


def liquidity_sentences(outcomes: dict, level: float = SIGNIFICANCE) -> list[str]:
    """Before vs during the engagement in words, each change with its test (``account.outcomes``)."""
    liq, test = outcomes.get("liquidity"), outcomes.get("liquidity_test")
    if liq is None or test is None or len(liq) < 2 or test.empty:
        return []
    try:
        from analytics.liquidity import AMIHUD_SCALE
    except ImportError:  # pragma: no cover
        AMIHUD_SCALE = 1e6
    before, during = liq.iloc[0], liq.iloc[1]
    span = lambda r: (f"{pd.Timestamp(r['start']):%Y-%m-%d} to {pd.Timestamp(r['end']):%Y-%m-%d}, "  # noqa: E731
                      f"{count(r['n_days'], 'trading day')}")
    out = []
    rows = test.set_index("measure")
    better = worse = 0
    for measure, (what, fmt, up, down) in _LIQUIDITY.items():
        if measure not in rows.index:
            continue
        r = rows.loc[measure]
        a, b, p = float(r["value_a"]), float(r["value_b"]), float(r["p_value"])
        if not (np.isfinite(a) and np.isfinite(b)):
            if measure == "turnover":
                out.append("Turnover is not available: the shares outstanding are not recorded.")
            continue
        unit = ""
        if measure == "amihud":
            per, fmt = _amihud_unit(a, b, AMIHUD_SCALE)
            unit = f" per {per} traded"
        elif measure == "cs_spread":
            unit = " of the price"
        la, lb = fmt(a), fmt(b)
        if b == a:
            move = f"was unchanged at {la}{unit}"
        else:
            move = f"{up if b > a else down} from {la} to {lb}{unit}"
            if a > 0 and b > 0 and measure in ("turnover", "dollar_volume"):
                ratio = b / a
                move += f" ({ratio:,.1f} times as much)" if ratio >= 1.5 else ""
        test_name = "Fisher's exact test" if r["test"] == "fisher_exact" else {
            "mannwhitney": "Mann-Whitney test", "welch": "Welch t-test", "hac": "Newey-West t-test"}.get(
            r["test"], str(r["test"]))
        if np.isfinite(p) and p < level:
            verdict = f"a significant change ({test_name}, {p_text(p)})"
            lower = b < a
            better += lower == (measure in _BETTER_WHEN_LOWER)
            worse += lower != (measure in _BETTER_WHEN_LOWER)
        elif np.isfinite(p):
            verdict = f"not distinguishable from no change ({test_name}, {p_text(p)})"
        else:
            verdict = "too few days to test"
        extra = (" Part of a change in dollar volume is the change in price: the same shares traded at a higher "
                 "price count for more dollars." if measure == "dollar_volume" and b > a else "")
        out.append(f"{what} {move}: {verdict}.{extra}")
    n = sum(1 for m in _LIQUIDITY if m in rows.index and np.isfinite(rows.loc[m, "value_a"])
            and np.isfinite(rows.loc[m, "value_b"]))
    head = (f"Trading before the engagement ({span(before)}) against trading during it ({span(during)}): ")
    if better or worse:
        head += ("liquidity improved significantly on " + (f"all {n} measures" if better == n else
                                                            f"{better} of the {n} measures")
                 + (f" and worsened significantly on {worse}" if worse else "") + ".")
    else:
        head += "no measure of liquidity changed significantly."
    out.insert(0, head)
    out.append("The tests treat the days as independent; liquidity persists from day to day, so the p-values "
               "overstate the evidence somewhat.")
    return out


_TABLE_MEASURES = {
    "turnover": ("Daily turnover (% of shares)", lambda v: percent(v, 3)),
    "zero_volume_share": ("Days without a trade", lambda v: percent(v, 0)),
    "dollar_volume": ("Daily dollar volume", money),
    "amihud": ("Amihud illiquidity", None),  # the unit is chosen from the values (_amihud_unit)
    "cs_spread": ("Bid-ask spread (Corwin-Schultz)", lambda v: percent(v, 1)),
}


def liquidity_table(outcomes: dict) -> pd.DataFrame | None:
    """Before, during and the test of the difference per liquidity measure, for print (None without them)."""
    test = outcomes.get("liquidity_test")
    if test is None or test.empty:
        return None
    rows = []
    for _, r in test.set_index("measure").reindex(list(_TABLE_MEASURES)).dropna(how="all").iterrows():
        label, fmt = _TABLE_MEASURES[r.name]
        if r.name == "amihud":
            from analytics.liquidity import AMIHUD_SCALE

            per, fmt = _amihud_unit(float(r["value_a"]), float(r["value_b"]), AMIHUD_SCALE)
            label = f"Price move per {per} traded (Amihud)"
        show = lambda v: fmt(v) if np.isfinite(v) else "n/a"  # noqa: E731
        p = float(r["p_value"])
        rows.append({"Measure": label, "Before": show(float(r["value_a"])), "During": show(float(r["value_b"])),
                     "Test": "Fisher exact" if r["test"] == "fisher_exact" else
                     {"mannwhitney": "Mann-Whitney", "welch": "Welch t", "hac": "Newey-West t"}.get(r["test"],
                                                                                              str(r["test"])),
                     "p-value": p_text(p).replace("p = ", "").replace("p ", "") if np.isfinite(p) else "n/a",
                     "Significant (10%)": ("yes" if p < SIGNIFICANCE else "no") if np.isfinite(p) else "n/a"})
    return pd.DataFrame(rows) if rows else None


def abnormal_volume_sentence(av: pd.DataFrame | None, window, t_cut: float = 1.645) -> str | None:
    """The activities' abnormal volume over the event window (``activity_id, abnormal_volume, abnormal_volume_t``)."""
    if av is None or av.empty or "abnormal_volume" not in av:
        return None
    cav = pd.to_numeric(av["abnormal_volume"], errors="coerce").dropna()
    if cav.empty:
        return None
    days = int(window[1]) - int(window[0]) + 1
    times = math.exp(float(cav.median()) / days)
    n_up = int((pd.to_numeric(av.get("abnormal_volume_t"), errors="coerce") > t_cut).sum()) \
        if "abnormal_volume_t" in av else None
    text = (f"Around the activities ({window_text(window)}), the median activity traded about {times:,.1f} times "
            "its normal daily volume (abnormal log turnover against its estimation window)")
    if n_up is not None:
        text += (f"; {n_up} of the {count(len(cav), 'activity')} had volume significantly above normal "
                 f"(t above {t_cut:.2f})")
    return text + "."


# --- impact -----------------------------------------------------------------------------------------

def value_sentence(value: float, low: float, high: float, level: float = 0.90) -> str:
    """An abnormal value with its interval; "not distinguishable from zero" when the interval covers 0."""
    if not all(np.isfinite([value, low, high])):
        return "abnormal value not available."
    return f"{money(value)} ({level:.0%} interval {money(low)} to {money(high)}): {value_interval_phrase(low, high)}."


def roi_sentence(result) -> str:
    """An :class:`analytics.roi.RoiResult` in words, the interval's method named."""
    r, lo, hi = result.roi, result.roi_low, result.roi_high
    if not all(np.isfinite([r, lo, hi])):
        return "ROI not available: the cost or the abnormal value is unknown."
    head = f"ROI {percent(r, signed=True)} ({result.level:.0%} interval {percent(lo, signed=True)} to " \
           f"{percent(hi, signed=True)})"
    if lo <= 0 <= hi:
        verdict = "not distinguishable from zero; the value created cannot be told apart from the program's cost"
    elif lo > 0:
        verdict = "positive; the value created exceeded the program's cost"
    else:
        verdict = "negative; the value created fell short of the program's cost"
    return f"{head}: {verdict}. Interval: {result.method}."


def persistence_sentence(pers: pd.DataFrame | None, horizon: int = 60) -> str | None:
    """How many activities kept their abnormal return ``horizon`` trading days later, how many reversed."""
    col = f"status_{horizon}"
    if pers is None or pers.empty or col not in pers:
        return None
    status = pers[col].fillna("n/a")
    n = len(status)
    kept, part, rev = (int((status == k).sum()) for k in ("persisted", "partly reversed", "reversed"))
    runups = int(((status == "reversed") & (pd.to_numeric(pers.get("car"), errors="coerce") > 0)).sum()) \
        if "car" in pers else None
    text = (f"Of the {count(n, 'activity')} studied, {kept} kept at least half of their event-window abnormal "
            f"return {horizon} trading days later")
    if part:
        text += f"; {part} gave part of it back"
    text += f"; {rev} reversed (the cumulative abnormal return turned around)"
    if runups is not None and rev:
        text += f", {runups} of them run-ups given back"
    unknown = n - kept - part - rev
    if unknown:
        text += f"; {unknown} could not be followed that long (the data stop)"
    return text + ". A run-up that reverses is promotion, not value."


def cost_sentence(by_kind: pd.DataFrame, n_activities: int | None = None) -> str | None:
    """Program cost in total and by kind, with the items left out for want of a cost."""
    if by_kind is None or by_kind.empty or "kind" not in by_kind:
        return None
    rows = by_kind.set_index("kind")
    if "total" not in rows.index:
        return None
    parts = [f"{str(r['label']).split(' (')[0].lower().replace('option grant', 'option')} {money(r['cost'])}"
             for k, r in rows.iterrows() if k != "total" and pd.notna(r["cost"]) and r["cost"] > 0]
    text = f"Program cost {money(rows.loc['total', 'cost'])}"
    text += (": " + ", ".join(parts)) if parts else ""
    text += " (retainer shares at their value when issued, the option at its grant-date fair value)."
    unknown = int(rows.loc["total"].get("n_cost_unknown", 0) or 0)
    if unknown:
        act_unknown = int(rows.loc["activity"].get("n_cost_unknown", 0) or 0) if "activity" in rows.index else 0
        if act_unknown == unknown and n_activities:
            text += f" {unknown} of the {count(n_activities, 'activity')} have no logged cost and are left out."
        else:
            text += f" {count(unknown, 'cost item')} with no known cost {'is' if unknown == 1 else 'are'} left out."
    return text


def plain_note(note: str) -> str:
    """An analytics note in plain words: ``11 cost item(s) have`` becomes ``11 cost items have``."""
    import re

    def _fix(m):
        n = int(m.group(1))
        verb = m.group(3) and (" has" if n == 1 else " have")
        return count(n, m.group(2)) + (verb or "")

    return re.sub(r"(\d+) (cost item|financing|payment)\(s\)( have| has)?", _fix, note)
