"""The ROI report's AMEC measures and "Promotion integrity" section, as HTML.

``app.report.report_html`` places :func:`report_amec_html` after the programme's AMEC sections: the
AMEC rows of the integrity account (objectives scored, disclosures), the services and the peers by
stage (objectives, outputs, outtakes, outcomes), then the promotion-integrity findings of one
``analytics.integrity.IntegrityAccount``. :func:`integrity_section_html` is the Integrity page's
download of the same HTML. Everything stored is escaped; every row carries its uncertainty.
"""
from __future__ import annotations

import html

import pandas as pd

from analytics.amec import STAGE_LABELS, by_stage


def _e(v) -> str:
    return html.escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))


#: How to record what an empty stage lacks (said beside "None recorded.").
HOW_TO_RECORD = {
    "objectives": "Record objectives before the campaign with `python -m ingest import-objectives FILE --client "
                  "CLIENT` (measure,target,set_date) or on the Promotion integrity page.",
    "outputs": "Log the activities (Activities page) and the mailings (`python -m ingest import-mailings FILE "
               "--client CLIENT` or the Services page).",
    "outtakes": "Import the shareholder inquiries and the mailings' responses (`python -m ingest import-inquiries` / "
                "`import-mailings`, or the Services page).",
    "outcomes": "Import the market-maker and analyst counts (`python -m ingest import-coverage`), a peer group "
                "(`python -m ingest peers add CLIENT PEER...` and the peers' bars) and objectives on market measures.",
}

NO_INTEGRITY_RECORD = ("No promotion-integrity record for this view (it needs a client with a ticker): import the "
                       "trades with `python -m ingest import-trades FILE --client CLIENT` and the terms on the "
                       "Engagement page.")


def stage_frames(rows) -> list[tuple[str, pd.DataFrame | None, str]]:
    """The AMEC rows by stage for the ROI report page: (stage label, its table or None, the how-to-record line)."""
    out = []
    for stage, items in by_stage(rows).items():
        frame = pd.DataFrame([{"measure": r.measure, "value": r.value, "change": r.change,
                               "uncertainty": r.uncertainty,
                               "source": r.source + (" (simulated)" if r.simulated and "simulated" not in r.source
                                                     else "")} for r in items]) if items else None
        out.append((STAGE_LABELS[stage], frame, "None recorded. " + HOW_TO_RECORD[stage]))
    return out


def amec_table_html(rows) -> str:
    """The AMEC rows by stage (objectives, outputs, outtakes, outcomes); an empty stage says "none recorded" and
    how to record it."""
    out = []
    for stage, items in by_stage(rows).items():
        out.append(f"<h3>{_e(STAGE_LABELS[stage])}</h3>")
        if not items:
            out.append(f"<p class='meta'>None recorded. {_e(HOW_TO_RECORD[stage])}</p>")
            continue
        out.append("<table class='amec'><tr><th>Measure</th><th>Value</th><th>Change</th><th>Uncertainty</th>"
                   "<th>Source</th></tr>" + "".join(
                       f"<tr><td>{_e(r.measure)}</td><td>{_e(r.value)}</td><td>{_e(r.change)}</td>"
                       f"<td>{_e(r.uncertainty)}</td><td>{_e(r.source)}{' (simulated)' if r.simulated and 'simulated' not in str(r.source) else ''}</td></tr>"
                       for r in items) + "</table>")
    return "".join(out)


def integrity_section_html(acc) -> str:
    """HTML of the Integrity page's section: the account's AMEC table, then :func:`promotion_integrity_html`."""
    return ("<section class='integrity'><h2>Objectives and outcomes (AMEC)</h2>" + amec_table_html(acc.amec_rows)
            + promotion_integrity_html(acc) + "</section>")


def report_amec_html(rows, acc, *, simulated: bool = False) -> str:
    """The report's AMEC measures (``rows``: integrity, services and peers AmecRows, by stage) and its
    "Promotion integrity" section (``acc``: an ``IntegrityAccount``, or None when the view has none)."""
    from analytics.integrity import NOT_LEGAL_ADVICE

    parts = ["<section class='amec'><h2>AMEC measures: objectives, outputs, outtakes, outcomes</h2>"]
    if simulated:
        parts.append("<p class='meta'><b>Simulated data:</b> the logs, trades and objectives behind these rows are "
                     "simulated.</p>")
    parts.append(amec_table_html(rows) + "</section>")
    if acc is None:
        parts.append(f"<section class='integrity'><h2>Promotion integrity</h2><p>{_e(NO_INTEGRITY_RECORD)}</p>"
                     f"<p class='meta'><b>{_e(NOT_LEGAL_ADVICE)}</b></p></section>")
    else:
        parts.append("<section class='integrity'>" + promotion_integrity_html(acc) + "</section>")
    return "".join(parts)


def promotion_integrity_html(acc) -> str:
    """The "Promotion integrity" part: findings, register, activities without a recorded disclosure, sales after
    promotional activities, trades in promotion and black-out windows, Rule 144, options, the not-legal-advice line."""
    from analytics.answer import money

    parts = ["<h2>Promotion integrity</h2>"]
    if acc.simulated:
        parts.append("<p class='meta'><b>Simulated data:</b> the trades, disclosures and objectives of this "
                     "workspace are simulated.</p>")
    parts += [f"<p>{_e(s)}</p>" for s in acc.findings]
    r = acc.register
    if len(r):
        parts.append("<h3>Compensation register</h3><table class='register'><tr><th>Date</th><th>Payer</th>"
                     "<th>Recipient</th><th>Kind</th><th>Amount</th><th>Shares</th><th>Description</th>"
                     "<th>Source</th></tr>" + "".join(
                         f"<tr><td>{x.date:%Y-%m-%d}</td><td>{_e(x.payer)}</td><td>{_e(x.recipient)}</td>"
                         f"<td>{_e(x.kind)}</td><td>{_e(money(x.amount, exact=True) if pd.notna(x.amount) else '')}</td>"
                         f"<td>{_e(f'{x.shares:,.0f}' if pd.notna(x.shares) else '')}</td><td>{_e(x.description)}</td>"
                         f"<td>{_e(x.source)}</td></tr>" for x in r.itertuples(index=False)) + "</table>")
    d = acc.disclosures[acc.disclosures["flagged"]] if len(acc.disclosures) else acc.disclosures
    if len(d):
        parts.append("<h3>Communications without a recorded disclosure</h3><ul>" + "".join(
            f"<li>{pd.Timestamp(x.date):%Y-%m-%d} {_e(x.type_label)}: {_e(x.title)} ({_e(x.status)})</li>"
            for x in d.itertuples(index=False)) + "</ul>")
    s = acc.sales_windows
    if len(s):
        parts.append("<h3>Sales after promotional activities</h3><ul>" + "".join(
            f"<li>{_e(x.holder)} sold {x.shares_sold:,.0f} shares {x.window_start:%Y-%m-%d} to "
            f"{x.window_end:%Y-%m-%d}, {x.share_of_volume:.1%} of the {x.window_volume:,.0f} shares traded, after "
            f"{_e(x.title)} ({x.activity_date:%Y-%m-%d}); a count, no sampling interval.</li>"
            for x in s.itertuples(index=False)) + "</ul>")
    t = acc.trades
    if len(t) and ("in_promotion" in t or "in_blackout" in t):
        inside = t[t.get("in_promotion", False) | t.get("in_blackout", False)]
        if len(inside):
            parts.append("<h3>Trades in promotion or black-out windows</h3><ul>" + "".join(
                f"<li>{pd.Timestamp(x.date):%Y-%m-%d} {_e(x.holder)} {'sold' if x.shares < 0 else 'bought'} "
                f"{abs(x.shares):,.0f} shares"
                + (f", in promotion window {int(x.promotion_window)}" if pd.notna(x.promotion_window) else "")
                + (f", in the black-out of {_e(x.blackout_of)}" if isinstance(x.blackout_of, str) and x.blackout_of
                   else "")
                + (f" ({_e(x.notes)})" if isinstance(x.notes, str) and x.notes else "") + "; a count, no sampling "
                "interval.</li>" for x in inside.itertuples(index=False)) + "</ul>")
        else:
            parts.append("<p>No recorded trade falls inside a promotion or black-out window.</p>")
    if len(acc.rule144):
        basis = acc.rule144["basis"].iloc[0]
        parts.append(f"<h3>Retainer shares and Rule 144</h3><p>{_e(basis)}; {len(acc.rule144)} tranches, the last "
                     f"sellable from {acc.rule144['sellable_date'].max():%Y-%m-%d}.</p>")
    if acc.volume_limit is not None:
        v = acc.volume_limit
        parts.append(f"<p>{_e(v.basis)}" + (f": limit {v.limit:,.0f} shares per three months, {v.sold_in_three_months:,.0f} "
                                             f"sold, headroom {v.headroom:,.0f} as of {v.day:%Y-%m-%d}" if v.applies else "")
                     + ".</p>")
    for o in acc.options.itertuples(index=False):
        parts.append(f"<p>Option of {_e(o.holder)} on {o.shares:,.0f} shares at ${o.strike:,.4f}, expiring "
                     f"{o.expiry_date:%Y-%m-%d}: {_e(o.status)}.</p>")
    if len(acc.rule144):
        parts.append("<ul>" + "".join(
            f"<li>Tranche {int(x.payment_no)}: {x.shares:,.0f} shares issued {x.payment_date:%Y-%m-%d}, sellable from "
            f"{x.sellable_date:%Y-%m-%d} ({x.holding_months} months)</li>" for x in acc.rule144.itertuples(index=False))
                     + "</ul>")
    parts += [f"<p class='meta'><b>{_e(n)}</b></p>" for n in acc.notes]
    return "".join(parts)
