"""(being written): the integrity page."""
import streamlit as st

st.title("integrity".title())
st.info("This page is being built.")
