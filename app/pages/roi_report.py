"""ROI report: the verdict first, then the AMEC account (inputs to impact); HTML and PDF downloads.

Everything here is the programme's one answer (analytics.answer) laid out: the same figures as the
Overview, the Engagement page, the CSV export and ``python -m analytics answer``. The method
settings come from the URL, so the report's address reproduces it in any browser.
"""
from __future__ import annotations

import streamlit as st

from analytics.integrity import NOT_LEGAL_ADVICE
from app import exports, report, report_amec, ui
from app.views import common
from app.views import report as views

db, info = ui.page_header("ROI report", "The verdict first, then the programme's inputs, activities, outtakes, "
                          "outcomes and impact (AMEC).")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
if view.client_id is None or view.ticker is None:
    ui.empty_state("No client with a loaded ticker yet.", "The report needs a client, its ticker's prices and its "
                   "engagement: load the ticker and add the client on the **Data** page.")
    st.stop()

simulated = bool(info.get("simulated"))
ans = common.answer(db, view)  # the report is composed on this same object (app.memo): one computation
content = views.report_content(db, view, simulated=simulated)
c1, c2, c3, _ = st.columns([1, 1, 1, 3])
ui.download(c1, "Download HTML report", lambda: report.report_html(content).encode("utf-8"),
            exports.export_filename(view.ticker, "roi-report", view.start, view.end, "html", content.simulated),
            view.client_id, mime="text/html", key="dl_report_html", on_click="ignore", icon=":material/download:")
ui.download(c2, "Download PDF report", lambda: report.report_pdf(report.report_html(content)),
            exports.export_filename(view.ticker, "roi-report", view.start, view.end, "pdf", content.simulated),
            view.client_id, mime="application/pdf", key="dl_report_pdf", on_click="ignore",
            icon=":material/picture_as_pdf:", type="primary")
with c3:
    ui.csv_download(ans.headline_frame(), "headline-figures", view, key="headline", simulated=simulated,
                    label="Download headline figures (CSV)")

st.header(ui.escape_md(content.title))
st.caption(ui.escape_md(content.subtitle))
st.subheader("Verdict")
ui.sentences(content.verdict or ["No verdict: the view has no studied activity and no engagement account."])
if content.renewal:
    st.subheader("Renewal")
    ui.sentences(content.renewal)
st.subheader("Headline figures")
ui.sentences([f"{label}: {value}" for label, value in content.headline])
ui.text("Method: " + content.method + ".", caption=True)
ui.text(content.reproducibility, caption=True)
for name in report.AMEC_SECTIONS:
    st.subheader(name)
    ui.sentences(content.sections.get(name) or ["Nothing to report for this part yet."])
if content.amec_rows is not None:
    st.subheader("AMEC measures: objectives, outputs, outtakes, outcomes")
    if simulated:
        ui.text("Simulated data: the logs, trades and objectives behind these rows are simulated.", caption=True)
    for i, (label, frame, how) in enumerate(report_amec.stage_frames(content.amec_rows)):
        st.markdown(f"**{ui.escape_md(label)}**")
        if frame is None:
            ui.text(how, caption=True)
        else:
            st.dataframe(frame, hide_index=True, key=f"report_amec_{i}")
    st.subheader("Promotion integrity")
    acc = content.integrity
    ui.sentences(list(acc.findings) if acc is not None else [report_amec.NO_INTEGRITY_RECORD])
    ui.text(NOT_LEGAL_ADVICE, caption=True)
    ui.text("The whole record (register, disclosures, sales, windows, Rule 144) is on the Promotion integrity page "
            "and in the HTML and PDF reports.", caption=True)
for i, (caption, fig) in enumerate(content.figures):
    st.plotly_chart(fig, key=f"report_fig_{i}")
    ui.text(caption, caption=True)
for i, (caption, frame) in enumerate(content.tables):
    st.markdown(f"**{ui.escape_md(caption)}**")
    st.dataframe(frame, hide_index=True, key=f"report_table_{i}")
st.caption("The answer's tables as CSV (the same figures as above, full precision):")
d1, d2, d3, _ = st.columns([1, 1, 1, 3])
with d1:
    ui.csv_download(ans.per_type, "results-by-type", view, key="per_type", simulated=simulated,
                    label="Results by type (CSV)")
with d2:
    ui.csv_download(ans.per_activity, "results-by-activity", view, key="per_activity", simulated=simulated,
                    label="Results by activity (CSV)")
with d3:
    ui.csv_download(ans.skipped, "activities-not-studied", view, key="skipped", simulated=simulated,
                    label="Not studied (CSV)")
with st.expander("Methodology"):
    ui.sentences((content.methodology or report.METHODOLOGY) + content.notes)
