"""The floor for drawing-to-prediction latency: the app's canvas and a constant Prediction.

No model and no preprocessing: what remains is what Streamlit and the canvas cost.
Run by `python -m cnn_demo.bench` beside app.py.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo.preprocess import CANVAS_OPTIONS, ink_intensity

version = st.session_state.get("canvas_version", 0)
image = st_canvas(**CANVAS_OPTIONS, key=f"canvas_{version}").image_data
if st.button("Clear"):
    st.session_state["canvas_version"] = version + 1
    st.rerun()
if image is not None and ink_intensity(image).any():
    st.metric("Prediction", "7")
else:
    st.info("Draw something.")
