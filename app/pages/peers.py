"""(being written): the peers page."""
import streamlit as st

st.title("peers".title())
st.info("This page is being built.")
