"""Streamlit-side helpers shared by the pages: text catalogue, session-state keys, shell."""
