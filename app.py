"""Router: page config, the shared controls in the sidebar, and the pages. No maths here."""

import streamlit as st

from ui import accessibility, nodelay, presentation, runs, warmup
from ui.controls import shared_controls, url_notice

# The sidebar sections each page uses, by url_path (home's is ""); a page not listed uses none of them, and the
# values chosen on the other pages are kept for them (ui/controls.py).
USES = {
    "forward": ("input", "kernel", "layer"),
    "flip": ("input", "kernel", "layer"),
    "matrix": ("input", "kernel", "layer"),
    "transposed": ("kernel", "layer"),
    "weights": ("input", "kernel", "layer"),
    "pooling": ("input",),
    "symbolic": ("input", "kernel", "layer"),
}

# The whole run holds a place in this server process (ui/runs.py: one by default): sixty runs side by side would
# each take as long as all of them together.
with runs.slot() as place:
    # Presentation mode (a projector) is kept in the link, so a teacher's link opens in it with the sidebar folded away.
    st.set_page_config(
        page_title="Is the kernel flipped? Convolution gradients",
        page_icon=":material/flip:",
        layout="wide",
        initial_sidebar_state="collapsed" if presentation.requested() else "auto",
    )

    # Pages live in views/, not pages/: a pages/ folder beside the entrypoint switches Streamlit (and AppTest)
    # into the older pages-directory mode, where a page can run without this router.
    PAGES = [
        st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
        st.Page(
            "views/forward.py", title="Forward: the sliding window", icon=":material/arrow_forward:", url_path="forward"
        ),
        st.Page(
            "views/flip.py", title="Is the kernel flipped? dA_prev two ways", icon=":material/flip:", url_path="flip"
        ),
        st.Page("views/matrix.py", title="The matrix view: C and Cᵀ", icon=":material/table_chart:", url_path="matrix"),
        st.Page(
            "views/transposed.py", title="Transposed convolution", icon=":material/open_in_full:", url_path="transposed"
        ),
        st.Page("views/weights.py", title="dW and db across channels", icon=":material/grid_on:", url_path="weights"),
        st.Page(
            "views/pooling.py", title="Pooling: forward and backward", icon=":material/filter_alt:", url_path="pooling"
        ),
        st.Page(
            "views/symbolic.py", title="Symbolic derivation (SymPy)", icon=":material/function:", url_path="symbolic"
        ),
        st.Page("views/mistakes.py", title="Common mistakes", icon=":material/bug_report:", url_path="mistakes"),
        st.Page("views/check.py", title="Check my code", icon=":material/fact_check:", url_path="check"),
    ]

    page = st.navigation(PAGES)
    if page.url_path == "check":  # a grading waits for its sandbox for seconds; gradings have their own cap
        place.release()
    nodelay.start_once()  # the process's first run: every message goes out at once (ui/nodelay.py)
    warmup.start_once()  # the process's first run fills the shared caches in the background (ui/warmup.py)
    shared_controls(USES.get(page.url_path, ()))
    # before the page, which may stop early; at the sidebar's foot, where a block of no height is unseen
    with st.sidebar:
        presentation.control()
        accessibility.install()
    presentation.style()
    try:
        page.run()
    finally:  # after the page, so its own controls have taken or dropped the link's values; also when it stopped
        url_notice()
