"""The page's parts, laid out with Streamlit: app.py puts them together. The rules they follow
live in cnn_demo, which never imports Streamlit."""
