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

from app import exports

AMEC_SECTIONS = ("Inputs", "Activities", "Outtakes", "Outcomes", "Impact")

#: How each model computes the expected return (the methodology names the one the settings chose).
MODEL_WORDS = {
    "market": "a market model estimated by OLS over the estimation window before each activity",
    "market_adjusted": "the benchmark's return as the expected return (market-adjusted, no estimation)",
    "constant_mean": "the stock's own mean return over the estimation window (constant mean)",
}
THIN_WORDS = {
    "none": "close-to-close returns",
    "trade_to_trade": "trade-to-trade returns (Maynes and Rumsey 1993) over the days with a trade",
    "dimson": "Dimson (1979) betas with a lag and a lead of the market",
    "auto": "trade-to-trade returns when many days had no trade, close-to-close returns otherwise (chosen "
            "from the data)",
}

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
td:last-child { white-space: normal; }
table.headline td { white-space: normal; text-align: left; }
table.headline td.value { font-weight: bold; }
td:first-child, th:first-child { text-align: left; }
.appendix { page-break-before: always; }
h3 { font-size: 11pt; margin: 10pt 0 2pt 0; color: #1f4e79; }
table.amec td, table.register td, table.amec th, table.register th { white-space: normal; text-align: left; }
table.amec tr { page-break-inside: avoid; }
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
    verdict: list[str] = field(default_factory=list)       # three to five sentences, shown first
    renewal: list[str] = field(default_factory=list)
    headline: list[tuple[str, str]] = field(default_factory=list)  # (figure, written value)
    method: str = ""                                       # the settings in words
    reproducibility: str = ""                              # parameters, data hash, software version
    methodology: list[str] = field(default_factory=list)   # empty: METHODOLOGY
    # the AMEC measures (integrity, services and peers AmecRows) and the promotion-integrity account; None: the
    # report was composed without them (``app.views.report.report_content`` always composes them)
    amec_rows: tuple | None = None
    integrity: object | None = None


def methodology(settings, used: str = "") -> list[str]:
    """The methodology appendix for these settings: the first line names the model and returns used.

    ``used`` is the thin-trading method the study actually used (the automatic choice resolved).
    """
    from analytics.settings import format_window

    thin = used if settings.thin == "auto" and used in THIN_WORDS else settings.thin
    first = (f"Abnormal returns follow MacKinlay (1997): the expected return is {MODEL_WORDS[settings.model]} "
             f"(days {format_window(settings.est)} relative to the activity), from {THIN_WORDS[thin]}; "
             "abnormal return = actual return - expected return, cumulated over each event window (days "
             + ", ".join(format_window(w) for w in settings.windows) + ").")
    return [first, *METHODOLOGY[1:]]


def per_type_table(per_type: pd.DataFrame) -> pd.DataFrame:
    """Results by activity type for print: label, activities, CAAR, p-value, the verdict in words."""
    out = pd.DataFrame({
        "Activity type": per_type["label"],
        "Activities": per_type["n"].map(lambda v: f"{int(v):,}"),
        "Average abnormal return": per_type["caar"].map(lambda v: percent(v, 1, signed=True)),
        "p-value": per_type["p_value"].map(lambda p: p_text(p).replace("p = ", "").replace("p ", "")),
        "Result": per_type["verdict"],
    })
    return out.reset_index(drop=True)


def skipped_table(skipped: pd.DataFrame) -> pd.DataFrame:
    """The activities that could not be studied, with their reason."""
    return pd.DataFrame({"Activity": skipped["event_id"].astype(str),
                         "Date": pd.to_datetime(skipped["event_date"]).dt.strftime("%Y-%m-%d"),
                         "Reason": skipped["reason"].astype(str)})


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
    if content.verdict:
        parts.append("<h2>Verdict</h2>" + "".join(f"<p>{e(s)}</p>" for s in content.verdict))
    if content.renewal:
        parts.append("<h2>Renewal</h2>" + "".join(f"<p>{e(s)}</p>" for s in content.renewal))
    if content.headline:
        parts.append("<h2>Headline figures</h2><table class='headline'>" + "".join(
            f"<tr><td>{e(label)}</td><td class='value'>{e(value)}</td></tr>" for label, value in content.headline)
            + "</table>")
    if content.method or content.reproducibility:
        parts.append(f"<p class='meta'><b>Method:</b> {e(content.method)}.</p>"
                     f"<p class='meta'>{e(content.reproducibility)}</p>")
    for name in AMEC_SECTIONS:
        sentences = content.sections.get(name) or ["Nothing to report for this part yet."]
        parts.append(f"<h2>{e(name)}</h2>" + "".join(f"<p>{e(s)}</p>" for s in sentences))
    if content.amec_rows is not None:
        from app.report_amec import report_amec_html

        parts.append(report_amec_html(content.amec_rows, content.integrity, simulated=content.simulated))
    for caption, fig in content.figures:
        body = _svg(fig) if embed_charts else ""
        parts.append(f"<figure>{body}<figcaption>{e(caption)}</figcaption></figure>")
    for caption, frame in content.tables:
        frame = frame.rename(columns=header_label)
        parts.append(f"<h2>{e(caption)}</h2>" + frame.to_html(index=False, na_rep="", float_format=_fmt,
                                                             border=0, escape=True))
    parts.append("<div class='appendix'><h2>Methodology</h2>"
                 + "".join(f"<p>{e(m)}</p>" for m in (content.methodology or METHODOLOGY) + content.notes)
                 + "</div>")
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


def offline_fetcher():
    """WeasyPrint's fetcher for the report: inline ``data:`` URLs only, so nothing in the HTML (a stored
    link or an image address) makes the PDF renderer send a request off the machine."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), timeout=5)


def report_pdf(html_text: str) -> bytes:
    """PDF bytes of the report HTML (WeasyPrint, offline: only inline data URLs are fetched)."""
    from weasyprint import HTML

    return HTML(string=html_text, base_url=".", url_fetcher=offline_fetcher()).write_pdf()


# --- words and numbers for executives: written once in analytics.answer, re-exported for the pages ---

from analytics.answer import (  # noqa: E402,F401
    MINUS,
    money,
    price,
    percent,
    count,
    window_text,
    p_text,
    format_table,
    RETAINER_COLUMNS,
    COST_COLUMNS,
    retainer_table,
    cost_items_table,
    SIGNIFICANCE,
    _amihud_unit,
    liquidity_sentences,
    liquidity_table,
    abnormal_volume_sentence,
    value_sentence,
    roi_sentence,
    persistence_sentence,
    cost_sentence,
    plain_note,
)
