"""The floor of this stack, for benchmarks/bench_browser.py: a bare Streamlit page whose one Plotly heatmap is driven by
a sidebar number input (bound to the URL, as the app's controls are). Run as ``streamlit run benchmarks/bare_page.py``
from the project root, so the same .streamlit/config.toml applies."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="bare page", layout="wide")
with st.sidebar:
    stride = int(st.number_input("Stride", 1, 4, 1, key="stride", bind="query-params"))
z = np.random.default_rng(stride).integers(0, 10, size=(6, 6))
fig = go.Figure(go.Heatmap(z=z, text=z, texttemplate="%{text}", colorscale="RdBu_r", showscale=False))
fig.update_layout(height=420, yaxis=dict(autorange="reversed", scaleanchor="x"))
st.plotly_chart(fig, width="stretch", key="bare")
