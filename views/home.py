"""Home: the question, the short answer, and where each page answers it."""

import streamlit as st

st.title("Is the kernel flipped in backprop?")
st.markdown(
    """
**Short answer: it depends on which way you loop, and both ways give the same numbers.**

- The course's loop iterates over the **outputs**: for every output cell it adds
  `W * dZ[h, w]` into the input window that produced it (`dA_prev_pad[window] += W * dZ[h, w]`).
  The kernel is used as it is. Nothing is flipped.
- The textbook formula iterates over the **inputs**: each input cell collects the output
  gradients it influenced, and reading those weights in input order reads the kernel backwards.
  Written as a convolution, that is the padded (and, for stride > 1, dilated) dZ correlated with
  the kernel **rotated 180 degrees**.

Both are the same sum in a different order. This app computes both for the input, kernel,
stride, padding, dilation and groups you choose in the sidebar, and shows that they agree to the last bit of
floating point, and what goes wrong if you forget the rotation.
"""
)

st.header("Where to look")
LINKS = [
    (
        "views/forward.py",
        "Forward: the sliding window",
        ":material/arrow_forward:",
        "The window, the element-wise products, the sum; the output-size formula; stride, padding, dilation "
        "(a kernel with holes) and groups (up to depthwise).",
    ),
    (
        "views/flip.py",
        "Is the kernel flipped? dA_prev two ways",
        ":material/flip:",
        "Scatter vs rot180, side by side, proven equal; the wrong result without the rotation.",
    ),
    (
        "views/matrix.py",
        "The matrix view: C and Cᵀ",
        ":material/table_chart:",
        "The convolution as a matrix C: dA_prev = Cᵀ·dZ, and the reversed kernel in a row of Cᵀ; im2col and col2im, "
        "as frameworks compute it.",
    ),
    (
        "views/transposed.py",
        "Transposed convolution",
        ":material/open_in_full:",
        "Each input cell stamps the kernel: PyTorch's conv_transpose2d, output_padding, the checkerboard, and a "
        "backward pass with no flip.",
    ),
    (
        "views/weights.py",
        "dW and db across channels",
        ":material/grid_on:",
        "One panel per (input channel, filter) pair: the input correlated with dZ, whose entries sit s apart.",
    ),
    (
        "views/pooling.py",
        "Pooling: forward and backward",
        ":material/filter_alt:",
        "Max routes the gradient to the maximum, average spreads it; what ties do to the total.",
    ),
    (
        "views/symbolic.py",
        "Symbolic derivation (SymPy)",
        ":material/function:",
        "The classic example [a b c d e] * [x y]: SymPy differentiates, and the reversed kernel appears by itself.",
    ),
    (
        "views/mistakes.py",
        "Common mistakes",
        ":material/bug_report:",
        "Real slips, which checks catch them, and what each does to the gradient.",
    ),
    (
        "views/check.py",
        "Check my code",
        ":material/fact_check:",
        "Paste your functions or upload the course notebook: a verdict for each, entry by entry, and the mistake "
        "it matches.",
    ),
]
for path, label, icon, caption in LINKS:
    st.page_link(path, label=label, icon=icon)
    st.caption(caption)

st.info(
    "The controls in the sidebar are kept in the address bar: copy the link to reopen the same configuration, "
    "for example to put it on a slide. Each page shows the controls it uses; the others keep their values.",
    icon=":material/link:",
)

st.subheader("The questions, as learners asked them")
st.markdown(
    "- *Should it have a rot180 on filter to calculate dA_prev?*, on the "
    "[DeepLearning.AI community](https://community.deeplearning.ai/t/should-it-have-a-rot180-on-filter-to-calculate-"
    "da-prev/121204): the course's loop adds W, not the rotated W, and the course's test only checks mean(dA). "
    "The flip page answers it.\n"
    "- *Is it really necessary to flip the kernel in a conv-net*, on Cross Validated: the classic example "
    "[a b c d e] * [x y], where dQ/dc = [0 y x 0 0] is the kernel reversed. The symbolic page derives it.\n"
    "- *An error with respect to filter weights in CNN during the backpropagation*, on "
    "[Data Science Stack Exchange](https://datascience.stackexchange.com/questions/38896/an-error-with-respect-to-"
    "filter-weights-in-cnn-during-the-backpropagation): an input of 5 channels and 10 filters, so how can dE/dF be a "
    "correlation when the depths do not match? The dW page answers it."
)
