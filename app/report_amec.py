"""The ROI report's "Promotion integrity" and AMEC section, as HTML, from one ``analytics.integrity.IntegrityAccount``.

The coordinator places :func:`integrity_section_html` inside ``app.report.report_html`` (after the AMEC
sections); everything is escaped, every figure carries its uncertainty or the reason it has none.
"""
from __future__ import annotations

import html

import pandas as pd

from analytics.amec import STAGE_LABELS, by_stage


def _e(v) -> str:
    return html.escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))


def amec_table_html(rows) -> str:
    """The AMEC rows by stage (objectives, outputs, outtakes, outcomes); an empty stage says "none recorded"."""
    out = []
    for stage, items in by_stage(rows).items():
        out.append(f"<h3>{_e(STAGE_LABELS[stage])}</h3>")
        if not items:
            out.append("<p class='meta'>None recorded.</p>")
            continue
        out.append("<table class='amec'><tr><th>Measure</th><th>Value</th><th>Change</th><th>Uncertainty</th>"
                   "<th>Source</th></tr>" + "".join(
                       f"<tr><td>{_e(r.measure)}</td><td>{_e(r.value)}</td><td>{_e(r.change)}</td>"
                       f"<td>{_e(r.uncertainty)}</td><td>{_e(r.source)}{' (simulated)' if r.simulated else ''}</td></tr>"
                       for r in items) + "</table>")
    return "".join(out)


def integrity_section_html(acc) -> str:
    """HTML of the report's promotion-integrity section: AMEC table, findings, register, flagged activities and
    trades, Rule 144, and the not-legal-advice line."""
    from analytics.answer import money

    parts = ["<h2>Objectives and outcomes (AMEC)</h2>", amec_table_html(acc.amec_rows), "<h2>Promotion integrity</h2>"]
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
    parts += [f"<p class='meta'><b>{_e(n)}</b></p>" for n in acc.notes]
    return "<section class='integrity'>" + "".join(parts) + "</section>"
