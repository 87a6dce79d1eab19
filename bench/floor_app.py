"""The floor for drawing-to-prediction latency: the app's canvas and a constant Prediction.

No model and no preprocessing: what remains is what Streamlit and the canvas cost.
Run by `python -m cnn_demo.bench` beside app.py.
"""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from cnn_demo.preprocess import CANVAS_KEY, CANVAS_OPTIONS, ink_intensity
from views.canvas_script import canvas_script

image = st_canvas(**CANVAS_OPTIONS, key=CANVAS_KEY).image_data
st.button("Clear", key="clear")  # emptied in the browser, as on the app's page
canvas_script()
if image is not None and ink_intensity(image).any():
    st.metric("Prediction", "7")
else:
    st.info("Draw something.")
