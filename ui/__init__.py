"""Streamlit-side helpers of the app: controls, cached computations, figures, parsing, presets.

``parse``, ``presets`` and ``figures`` never import streamlit (they are tested without it);
``controls`` and ``compute`` do.
"""
