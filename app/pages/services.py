"""(being written): the services page."""
import streamlit as st

st.title("services".title())
st.info("This page is being built.")
