"""ROI report: the executive summary in AMEC order (inputs to impact), downloadable as HTML and PDF."""
from __future__ import annotations

import streamlit as st

from app import analysis, exports, report, ui

db, info = ui.page_header("ROI report", "Executive summary of the IR program, structured as inputs, activities, "
                          "outtakes, outcomes and impact (AMEC).")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
if view.client_id is None or view.ticker is None:
    ui.empty_state("No client with a loaded ticker yet.", "The report needs a client, its ticker's prices and its "
                   "engagement: load the ticker and add the client on the **Data** page.")
    st.stop()

content = analysis.report_content(db, view, simulated=bool(info.get("simulated")))
c1, c2, _ = st.columns([1, 1, 4])
c1.download_button("HTML report", data=lambda: report.report_html(content).encode("utf-8"),
                   file_name=exports.export_filename(view.ticker, "roi-report", view.start, view.end, "html",
                                                     content.simulated),
                   mime="text/html", key="dl_report_html", on_click="ignore", icon=":material/download:")
c2.download_button("PDF report", data=lambda: report.report_pdf(report.report_html(content)),
                   file_name=exports.export_filename(view.ticker, "roi-report", view.start, view.end, "pdf",
                                                     content.simulated),
                   mime="application/pdf", key="dl_report_pdf", on_click="ignore", icon=":material/picture_as_pdf:",
                   type="primary")

st.header(content.title)
st.caption(content.subtitle)
for name in report.AMEC_SECTIONS:
    st.subheader(name)
    for sentence in content.sections.get(name) or ["Nothing to report for this part yet."]:
        st.markdown(sentence.replace("$", r"\$"))  # two dollar amounts in a sentence are not LaTeX
for i, (caption, fig) in enumerate(content.figures):
    st.plotly_chart(fig, key=f"report_fig_{i}")
    st.caption(caption)
for i, (caption, frame) in enumerate(content.tables):
    st.markdown(f"**{caption}**")
    st.dataframe(frame, hide_index=True, key=f"report_table_{i}")
with st.expander("Methodology"):
    for line in report.METHODOLOGY + content.notes:
        st.markdown(f"- {line}".replace("$", r"\$"))
