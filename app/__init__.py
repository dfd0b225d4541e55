"""The Streamlit side of the dashboard: charts, exports, report, loaders, state and pages."""
