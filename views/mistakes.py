"""Common mistakes: real slips in the course's functions, what they do to the gradient, and who catches them."""

import streamlit as st

from grader import mistakes
from ui import charts, compute
from ui.tables import show_table

st.title("Common mistakes")
st.markdown(
    "The course's own test of `conv_backward` only checks `mean(dA)`, `mean(dW)` and `mean(db)`. On its values, a "
    "kernel transposed by mistake, or the full-convolution form without the 180-degree rotation, gives **exactly the "
    "right means**: the mistake moves numbers around without changing their sum. An element-wise comparison catches "
    "every one. Each mistake below is real code, written the way learners write it; this page runs only that code."
)

st.header("Which check catches what")
rows = compute.mistakes_summary()
table = [
    {
        "mistake": r.title,
        "function": r.function,
        "a mean-only check catches it": "yes" if r.caught_by_mean_only else "NO",
        "an element-wise check catches it": "yes" if r.caught_by_elementwise else "NO",
        "shows on the course's values": "yes" if r.shows_on_course_values else "no",
    }
    for r in rows
]
show_table(table, alt="Every catalogued mistake, its function, and which checks catch it.", width="stretch")
missed = sum(not r.caught_by_mean_only for r in rows)
st.caption(
    f"{missed} of {len(rows)} mistakes pass a mean-only check; all {sum(r.caught_by_elementwise for r in rows)} are "
    "caught element-wise. 'Mean-only' is the course's check: right shapes and np.isclose on each mean."
)

st.header("Look at one")
# Titles are the options: a bound selectbox puts its displayed label in the URL.
by_title = {m.title: m for m in mistakes.CATALOGUE}
m = by_title[st.selectbox("Mistake", list(by_title), key="mistake", bind="query-params")]
key = m.key
st.markdown(f"**{m.title}** (in `{m.function}`): {m.explanation}")
st.markdown(f"When: {m.when}. Where it comes from: {m.origin}.")  # not a caption: a faded link fails contrast

case_names = [c.name for c in mistakes.cases(m.shown_by)]
default = case_names.index(m.showcase) if m.showcase in case_names else 0
case_name = st.selectbox(
    f"Test case for {m.shown_by}", case_names, index=default, key="mistake_case", bind="query-params"
)
st.code(m.diff(), language="diff", wrap_lines=True)  # no sideways scrolling on a phone
with st.expander("The whole function, right and mistaken"):
    c1, c2 = st.columns(2)
    c1.code(m.right_source(), language="python", wrap_lines=True)
    c2.code(m.source(), language="python", wrap_lines=True)

outcome = compute.mistake_outcome(key, case_name)
st.caption(f"Case: {outcome.case.label}")
a, b = st.columns(2)
a.metric("mean-only check", "passes (misses it)" if outcome.mean_only_passes else "fails (catches it)")
b.metric("element-wise check", "passes" if outcome.elementwise_passes else "fails (catches it)")
if outcome.error:
    st.error(f"On this case the mistaken code raises {outcome.error}", icon=":material/error:")
elif outcome.elementwise_passes:
    st.info(
        "On this case the mistake happens to give the right numbers; pick another test case above.",
        icon=":material/info:",
    )
for d in outcome.differences[:3]:
    if d.index is not None:
        st.markdown(
            f"First difference in `{d.output}` at index {d.index}: expected {d.expected_value:.6g}, got "
            f"{d.got_value:.6g} (largest difference {d.max_abs_diff:.3g})."
        )
    else:
        st.markdown(f"`{d.output}`: expected shape {d.expected_shape}, got {d.got_shape}.")
for k, (name, fig) in enumerate(compute.mistake_figures(key, case_name)):
    diff = outcome.max_abs_diff[k] if outcome.max_abs_diff else None
    if diff is None:
        note = "a different shape, or no output: only the right one is drawn"
    elif diff < 1e-9:
        note = f"agrees with the right one (largest difference {diff:.2g}, rounding)"
    else:
        note = "the slice through the first difference"
    st.markdown(f"**{name}**: {note}")
    charts.show(fig, width="stretch", key=f"mistake_fig_{k}")

st.header("Check your own code")
st.markdown(
    "Paste your functions or upload the course notebook on the **Check my code** page: every function is compared "
    "with the right one entry by entry on many cases, and a wrong output is matched against this catalogue."
)
st.page_link("views/check.py", label="Check my code", icon=":material/fact_check:")
