"""Entry point: ``streamlit run dashboard.py``. Routes the pages with st.navigation, nothing else."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` puts the script's folder first; AppTest may not
    sys.path.insert(0, str(ROOT))

PAGES = ROOT / "app" / "pages"

st.set_page_config(page_title="IR awareness analytics", page_icon=str(ROOT / "app" / "static" / "favicon.png"), layout="wide")

navigation = st.navigation([
    st.Page(PAGES / "overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
    st.Page(PAGES / "activities.py", title="Activities", icon=":material/campaign:", url_path="activities"),
    st.Page(PAGES / "event_impact.py", title="Event impact", icon=":material/query_stats:", url_path="event-impact"),
    st.Page(PAGES / "engagement.py", title="Engagement", icon=":material/handshake:", url_path="engagement"),
    st.Page(PAGES / "roi_report.py", title="ROI report", icon=":material/summarize:", url_path="roi-report"),
    st.Page(PAGES / "data.py", title="Data", icon=":material/database:", url_path="data"),
])
navigation.run()
