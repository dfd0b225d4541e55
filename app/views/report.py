"""The ROI report's view: the answer's words and tables laid out with the report's charts (``app.report``)."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from app.views import common
from app.views.engagement import option_view


def report_content(db: str, view, *, simulated: bool, settings=None):
    """The ROI report for the view: the answer's words and tables, laid out with its charts.

    Memoised per view (its settings included) and user scope, and reused while the data it was composed
    from is unchanged: the page, the HTML and the PDF lay out this one object, built on the one answer
    (:func:`app.views.common.answer`)."""
    if settings is not None:
        view = replace(view, settings=settings)
    return _report_content(db, view, bool(simulated))


@common.page_view(16, spinner="Composing the report...")
def _report_content(db: str, view, simulated: bool):
    from analytics.answer import STAKE_COLUMNS
    from app import charts
    from app import report as rp
    from app.report import ReportContent

    ans = common.answer(db, view)
    content_amec = amec_parts(db, view, simulated=simulated)
    content = ReportContent(
        title=f"IR programme ROI: {view.client_name or view.ticker} ({view.ticker})",
        subtitle=f"Period {view.start:%Y-%m-%d} to {view.end:%Y-%m-%d}" if view.start is not None and
        view.end is not None else "All dates",
        simulated=simulated,
    )
    content.amec_rows, content.integrity = content_amec
    if ans is None:
        content.sections["Impact"] = ["No client with a ticker in this view."]
        return content
    content.verdict = list(ans.verdict)
    content.renewal = list(ans.renewal)
    content.headline = [(label, text) for _, label, text in ans.headline]
    content.method = ans.settings.describe() + (f". {ans.thin_trading_words}" if ans.thin_trading_words else "")
    content.reproducibility = ans.reproducibility
    content.sections = {k: list(v) for k, v in ans.sections.items()}
    content.notes.extend(ans.notes)
    content.methodology = rp.methodology(ans.settings, ans.thin_trading_used)
    if len(ans.per_type):
        content.tables.append(("Results by activity type (" + rp.window_text(ans.settings.windows[0]) + ")",
                               rp.per_type_table(ans.per_type)))
    acc = ans.account
    px = common.prices(db, view.ticker, view.start, view.end)
    opt = option_view(db, view)
    if not px.empty:
        acts = common.activities_in(db, view.client_id, view.start, view.end)
        markers = acts[["date", "type", "title"]] if not acts.empty else None
        strike = opt["strike"] if opt is not None else None
        content.figures.append(("Price and volume with the IR activities (markers by type).",
                                charts.price_volume_chart(px, markers, strike=strike, simulated=simulated,
                                                          title=f"{view.ticker}: price, volume and activities")))
    if len(ans.stake):
        content.figures.append((f"{ans.whole.name if ans.whole else 'Value over the whole engagement'}, "
                                "cumulative, with its 90% band, beside the consultant's stake.",
                                charts.stake_chart(ans.stake, STAKE_COLUMNS, company="company_cum_abnormal_value",
                                                   title="Consultant's stake vs company's value",
                                                   simulated=simulated)))
    if opt is not None:
        content.figures.append(("The consultant's option: moneyness, intrinsic and fair value.",
                                charts.option_value_chart(opt["series"], strike=opt["strike"], simulated=simulated)))
    if acc is not None:
        content.tables.append(("Programme cost by kind", rp.cost_items_table(acc.inputs["costs_by_kind"])))
        liq = rp.liquidity_table(acc.outcomes)
        if liq is not None:
            content.tables.append(("Liquidity before and during the engagement", liq))
        sched = acc.inputs.get("retainer")
        if sched is not None and len(sched):
            content.tables.append(("Retainer payments", rp.retainer_table(sched)))
    if "confounded" in ans.per_activity and ans.per_activity["confounded"].any():
        conf = ans.per_activity[ans.per_activity["confounded"]]
        content.tables.append(("Activities with other news in their event window (shown apart)", pd.DataFrame({
            "Date": pd.to_datetime(conf["date"]).dt.strftime("%Y-%m-%d"), "Activity type": conf["label"],
            "CAR": conf["car"].map(lambda v: rp.percent(v, 1, signed=True)),
            # the long texts together in the last column: the report wraps only the last column of a table
            "Activity and the other news": conf["title"].astype(str) + ": " + conf["confounders"],
        }).reset_index(drop=True)))
    if len(ans.skipped):
        content.tables.append(("Activities that could not be studied", rp.skipped_table(ans.skipped)))
    return content


def amec_parts(db: str, view, *, simulated: bool) -> tuple[tuple, object | None]:
    """The report's AMEC rows and integrity account for the view, from the pages' own computations (one answer):
    the Integrity page's account (its disclosures row and scored objectives), the Services page's rows for the
    view's period (``app.views.services.amec_frame``) and the Peers page's rows (``app.views.peers.amec_rows``,
    over the engagement's matched periods); ((), None) without a client."""
    from analytics.amec import AmecRow
    from app.views import integrity as iv
    from app.views import peers as pv
    from app.views import services as sv

    if not view.client_id:
        return (), None
    integrity = iv.integrity_view(db, view, simulated=simulated)
    acc = integrity.account if integrity is not None else None
    rows = list(acc.amec_rows) if acc is not None else []
    data = sv.services_data(db, view.client_id, view.ticker)
    span = sv.period(view, data)
    if span is not None:
        frame = sv.amec_frame(data, sv.introduction_spreads(data), *span, simulated)
        rows += [AmecRow(r.stage, r.measure, r.value, r.change, r.uncertainty, r.source, simulated)
                 for r in frame.itertuples(index=False)]
    rows += list(pv.amec_rows(db, view.client_id, view.ticker, simulated=simulated))
    return tuple(rows), acc


# --- data ----------------------------------------------------------------------------------------

def coverage_table(cov: pd.DataFrame) -> pd.DataFrame:
    """Coverage with the age of the last bar, for the Data page."""
    out = cov.copy()
    if "last_date" in out:
        out["days_since_last_bar"] = (pd.Timestamp.today().normalize() - pd.to_datetime(out["last_date"])).dt.days
