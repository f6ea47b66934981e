"""Bad input gets a ValueError whose message says what is wrong; good input is never modified in place.

The web app shows these messages as they are, so each test checks the message, not just the type.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import convcore
from convcore import naive, trace

A = np.random.default_rng(0).standard_normal((2, 5, 5, 3))
W = np.random.default_rng(1).standard_normal((2, 2, 3, 4))
B = np.random.default_rng(2).standard_normal((1, 1, 1, 4))
HP = {"stride": 1, "pad": 0}
DZ = np.random.default_rng(3).standard_normal((2, 4, 4, 4))  # the forward output's shape for A, W, HP
POOL_HP = {"f": 2, "stride": 2}
DA_POOL = np.ones((2, 2, 2, 3))

CONV_FORWARDS = [pytest.param(convcore.conv_forward, id="fast"), pytest.param(naive.conv_forward, id="loops")]
POOL_FORWARDS = [pytest.param(convcore.pool_forward, id="fast"), pytest.param(naive.pool_forward, id="loops")]
POOL_BACKWARDS = [pytest.param(convcore.pool_backward, id="fast"), pytest.param(naive.pool_backward, id="loops")]


def _grad_fns():
    """Every dA_prev / dW function, called with one argument replaced."""
    return {
        "scatter": lambda A_=A, W_=W, dZ=DZ, s=1, p=0, c="correlation": convcore.grad_input_scatter(
            A_.shape, W_, dZ, s, p, c
        ),
        "rot180": lambda A_=A, W_=W, dZ=DZ, s=1, p=0, c="correlation": convcore.grad_input_rot180(
            A_.shape, W_, dZ, s, p, c
        ),
        "weight": lambda A_=A, W_=W, dZ=DZ, s=1, p=0, c="correlation": convcore.grad_weight(A_, W_.shape, dZ, s, p, c),
    }


GRAD_FNS = [pytest.param(fn, id=name) for name, fn in _grad_fns().items()]


# --- shapes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("forward", CONV_FORWARDS)
def test_wrong_ndim(forward):
    with pytest.raises(ValueError, match=r"A_prev must have 4 dimensions, got shape \(5, 5, 3\)"):
        forward(A[0], W, B, HP)
    with pytest.raises(ValueError, match=r"W must have 4 dimensions, got shape \(2, 2, 3\)"):
        forward(A, W[..., 0], B, HP)
    with pytest.raises(ValueError, match=r"b must have 4 dimensions"):
        forward(A, W, B.reshape(-1), HP)


def test_wrong_ndim_elsewhere():
    with pytest.raises(ValueError, match=r"dZ must have 4 dimensions"):
        convcore.conv_backward(DZ[0], convcore.conv_forward(A, W, B, HP)[1])
    with pytest.raises(ValueError, match=r"A_prev must have 4 dimensions"):
        convcore.pool_forward(A[0], POOL_HP)
    with pytest.raises(ValueError, match=r"A_prev must have 3 dimensions"):
        trace.forward_trace(A, W, B, 1, 0)
    with pytest.raises(ValueError, match=r"x must have 1 dimensions"):
        convcore.conv1d_forward(np.ones((2, 3)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"X must have 4 dimensions"):
        convcore.zero_pad(np.ones((3, 3)), 1)
    with pytest.raises(ValueError, match=r"input_shape must be 4 positive sizes"):
        convcore.grad_input_scatter((5, 5, 3), W, DZ, 1, 0)
    with pytest.raises(ValueError, match=r"weight_shape must be 4 positive sizes"):
        convcore.grad_weight(A, (2, 2, 3), DZ, 1, 0)


@pytest.mark.parametrize("forward", CONV_FORWARDS)
def test_channel_mismatch(forward):
    with pytest.raises(ValueError, match=r"W expects 2 input channel\(s\).*A_prev has 3"):
        forward(A, W[:, :, :2, :], B, HP)


@pytest.mark.parametrize("fn", GRAD_FNS)
def test_channel_mismatch_in_backward_functions(fn):
    with pytest.raises(ValueError, match=r"W expects 2 input channel"):
        fn(W_=W[:, :, :2, :])


def test_channel_mismatch_in_traces():
    with pytest.raises(ValueError, match=r"W expects 2 input channel\(s\) but the input has 3"):
        trace.forward_trace(A[0], W[:, :, :2, :], B, 1, 0)
    with pytest.raises(ValueError, match=r"W expects 2 input channel"):
        trace.scatter_trace((5, 5, 3), W[:, :, :2, :], DZ[0], 1, 0)
    with pytest.raises(ValueError, match=r"W expects 2 input channel"):
        trace.rot180_trace((5, 5, 3), W[:, :, :2, :], DZ[0], 1, 0)


@pytest.mark.parametrize("forward", CONV_FORWARDS)
def test_kernel_larger_than_padded_input(forward):
    with pytest.raises(ValueError, match=r"kernel \(6\) is larger than the padded input height \(5 \+ 2\*0 = 5\)"):
        forward(A, np.ones((6, 2, 3, 4)), B, HP)
    with pytest.raises(ValueError, match=r"kernel \(8\) is larger than the padded input width \(5 \+ 2\*1 = 7\)"):
        forward(A, np.ones((2, 8, 3, 4)), B, {"stride": 1, "pad": 1})
    Z, _ = forward(A, np.ones((7, 7, 3, 4)), B, {"stride": 1, "pad": 1})  # exactly fits: one output cell
    assert Z.shape == (2, 1, 1, 4)


@pytest.mark.parametrize("forward", POOL_FORWARDS)
def test_pool_window_larger_than_input(forward):
    with pytest.raises(ValueError, match=r"kernel \(6\) is larger than the padded input height"):
        forward(A, {"f": 6, "stride": 1})


def test_kernel_larger_than_input_elsewhere():
    with pytest.raises(ValueError, match=r"kernel \(3\) is larger than the padded input width \(2 \+ 2\*0 = 2\)"):
        convcore.conv1d_forward([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"kernel \(6\) is larger"):
        trace.forward_trace(A[0], np.ones((6, 6, 3, 1)), [0.0], 1, 0)
    with pytest.raises(ValueError, match=r"kernel \(6\) is larger"):
        trace.pool_trace(A[0], {"f": 6, "stride": 1})


# --- hyper-parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("forward", CONV_FORWARDS)
@pytest.mark.parametrize(
    ("hp", "match"),
    [
        ({"stride": 0, "pad": 0}, r"stride must be an integer >= 1, got 0"),
        ({"stride": -2, "pad": 0}, r"stride must be an integer >= 1, got -2"),
        ({"stride": 1, "pad": -1}, r"pad must be an integer >= 0, got -1"),
        ({"stride": 2.5, "pad": 0}, r"stride must be an integer >= 1, got 2\.5"),
        ({"stride": "2", "pad": 0}, r"stride must be an integer >= 1, got '2'"),
        ({"stride": True, "pad": 0}, r"stride must be an integer >= 1, got True"),
        ({"stride": 1, "pad": False}, r"pad must be an integer >= 0, got False"),
        ({"stride": 1, "pad": 0.5}, r"pad must be an integer >= 0, got 0\.5"),
        ({"stride": float("nan"), "pad": 0}, r"stride must be an integer >= 1, got nan"),
        ({"stride": None, "pad": 0}, r"stride must be an integer >= 1, got None"),
        ({"pad": 0}, r"hparameters is missing \['stride'\]"),
        ({"stride": 1}, r"hparameters is missing \['pad'\]"),
        ({}, r"hparameters is missing \['stride', 'pad'\]"),
        ({"stride": 1, "pad": 0, "convention": "conv"}, r"convention must be one of \('correlation', 'convolution'\)"),
    ],
)
def test_bad_conv_hparameters(forward, hp, match):
    with pytest.raises(ValueError, match=match):
        forward(A, W, B, hp)


def test_integral_values_of_other_types_are_accepted():
    Z, _ = convcore.conv_forward(A, W, B, {"stride": 1, "pad": 0})
    np.testing.assert_array_equal(convcore.conv_forward(A, W, B, {"stride": np.int64(1), "pad": 0.0})[0], Z)


def test_hparameters_must_be_a_dict():
    with pytest.raises(ValueError, match=r"hparameters must be a dict"):
        convcore.conv_forward(A, W, B, (1, 0))
    with pytest.raises(ValueError, match=r"hparameters must be a dict \{\"f\": f, \"stride\": s\}"):
        convcore.pool_forward(A, [2, 2])


@pytest.mark.parametrize("forward", POOL_FORWARDS)
@pytest.mark.parametrize(
    ("hp", "match"),
    [
        ({"f": 0, "stride": 1}, r"f must be an integer >= 1, got 0"),
        ({"f": 2, "stride": 0}, r"stride must be an integer >= 1, got 0"),
        ({"f": 2.5, "stride": 1}, r"f must be an integer >= 1, got 2\.5"),
        ({"f": "2", "stride": 1}, r"f must be an integer >= 1, got '2'"),
        ({"f": True, "stride": 1}, r"f must be an integer >= 1, got True"),
        ({"stride": 1}, r"hparameters is missing \['f'\]"),
        ({"f": 2}, r"hparameters is missing \['stride'\]"),
    ],
)
def test_bad_pool_hparameters(forward, hp, match):
    with pytest.raises(ValueError, match=match):
        forward(A, hp)


def test_pool_hparameters_are_read_by_name_not_by_order():
    # the seed's slip: `s, f = [v for k, v in hparameters.items()]` depends on the dict's order
    A1, _ = convcore.pool_forward(A, {"f": 3, "stride": 1})
    A2, _ = convcore.pool_forward(A, {"stride": 1, "f": 3})
    assert A1.shape == A2.shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(A1, A2)


@pytest.mark.parametrize("fn", GRAD_FNS)
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"s": 0}, r"stride must be an integer >= 1"),
        ({"p": -1}, r"pad must be an integer >= 0"),
        ({"s": 1.5}, r"stride must be an integer >= 1, got 1\.5"),
        ({"s": True}, r"stride must be an integer >= 1, got True"),
        ({"c": "flipped"}, r"convention must be one of"),
    ],
)
def test_bad_hparameters_in_backward_functions(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(**kwargs)


def test_bad_hparameters_in_1d_and_traces():
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1, got 0"):
        convcore.conv1d_forward([1.0, 2.0, 3.0], [1.0], stride=0)
    with pytest.raises(ValueError, match=r"pad must be an integer >= 0, got -1"):
        convcore.conv1d_grad_input_rot180(3, [1.0], [1.0, 1.0, 1.0], pad=-1)
    with pytest.raises(ValueError, match=r"convention must be one of"):
        convcore.conv1d_grad_weight([1.0, 2.0, 3.0], 1, [1.0, 1.0, 1.0], convention="x")
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1, got True"):
        trace.forward_trace(A[0], W, B, True, 0)
    with pytest.raises(ValueError, match=r"pad must be an integer >= 0"):
        trace.weight_trace(A[0], W.shape, DZ[0], 1, -1)


# --- values -----------------------------------------------------------------------------------------


def _with(x: np.ndarray, value: float) -> np.ndarray:
    y = x.copy()
    y.flat[1] = value
    return y


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("forward", CONV_FORWARDS)
def test_non_finite_inputs(forward, bad):
    with pytest.raises(ValueError, match=r"A_prev contains values that are not finite \(nan or inf\)"):
        forward(_with(A, bad), W, B, HP)
    with pytest.raises(ValueError, match=r"W contains values that are not finite"):
        forward(A, _with(W, bad), B, HP)
    with pytest.raises(ValueError, match=r"b contains values that are not finite"):
        forward(A, W, _with(B, bad), HP)


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
def test_non_finite_gradients(bad):
    _, cache = convcore.conv_forward(A, W, B, HP)
    for method in ("scatter", "rot180"):
        with pytest.raises(ValueError, match=r"dZ contains values that are not finite"):
            convcore.conv_backward(_with(DZ, bad), cache, method=method)
    _, cache = naive.conv_forward(A, W, B, HP)
    with pytest.raises(ValueError, match=r"dZ contains values that are not finite"):
        naive.conv_backward(_with(DZ, bad), cache)
    for fn in _grad_fns().values():
        with pytest.raises(ValueError, match=r"dZ contains values that are not finite"):
            fn(dZ=_with(DZ, bad))
    with pytest.raises(ValueError, match=r"dZ contains values that are not finite"):
        convcore.grad_bias(_with(DZ, bad))
    for backward in (convcore.pool_backward, naive.pool_backward):
        with pytest.raises(ValueError, match=r"dA contains values that are not finite"):
            backward(_with(DA_POOL, bad), (A, POOL_HP))
        with pytest.raises(ValueError, match=r"A_prev contains values that are not finite"):
            backward(DA_POOL, (_with(A, bad), POOL_HP))
    with pytest.raises(ValueError, match=r"dz contains values that are not finite"):
        convcore.conv1d_grad_input_scatter(3, [1.0], [1.0, bad, 1.0])
    with pytest.raises(ValueError, match=r"dZ contains values that are not finite"):
        trace.scatter_trace((5, 5, 3), W, _with(DZ[0], bad), 1, 0)


def test_non_numbers_are_rejected():
    with pytest.raises(ValueError, match=r"A_prev must be an array of real numbers"):
        convcore.conv_forward([[["a"]]], W, B, HP)
    with pytest.raises(ValueError, match=r"W must be an array of real numbers"):
        convcore.grad_input_scatter(A.shape, "W", DZ, 1, 0)


@pytest.mark.parametrize("method", ["scatter", "rot180"])
def test_dZ_of_the_wrong_shape(method):
    _, cache = convcore.conv_forward(A, W, B, HP)
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(2, 4, 4, 4\), got \(2, 3, 4, 4\)"):
        convcore.conv_backward(DZ[:, :3], cache, method=method)
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape"):
        convcore.conv_backward(DZ[..., :3], cache, method=method)
    _, cache = naive.conv_forward(A, W, B, HP)
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(2, 4, 4, 4\)"):
        naive.conv_backward(DZ[:, :3], cache, method=method)


@pytest.mark.parametrize("fn", GRAD_FNS)
def test_dZ_of_the_wrong_shape_in_backward_functions(fn):
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(2, 4, 4, 4\)"):
        fn(dZ=DZ[:, :, :2])
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(2, 2, 2, 4\)"):
        fn(s=2)  # the right shape for stride 1 is the wrong one for stride 2


def test_wrong_gradient_shape_elsewhere():
    for backward in (convcore.pool_backward, naive.pool_backward):
        with pytest.raises(
            ValueError, match=r"dA must have the pooling output's shape \(2, 2, 2, 3\), got \(2, 1, 2, 3\)"
        ):
            backward(DA_POOL[:, :1], (A, POOL_HP))
    with pytest.raises(ValueError, match=r"dz must have the forward output's length 4, got 3"):
        convcore.conv1d_grad_input_scatter(5, [1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(4, 4, 4\)"):
        trace.rot180_trace((5, 5, 3), W, DZ[0, :3], 1, 0)
    with pytest.raises(ValueError, match=r"dZ must have the forward output's shape \(2, 2, 3\)"):
        trace.pool_trace(A[0], POOL_HP, dA=np.ones((2, 3, 3)))


@pytest.mark.parametrize("b", [np.zeros((1, 1, 1, 3)), np.zeros((1, 1, 4, 1)), np.zeros((2, 1, 1, 4))])
def test_bias_of_the_wrong_shape(b):
    with pytest.raises(ValueError, match=r"b must have shape \(1, 1, 1, 4\) \(one bias per filter\)"):
        convcore.conv_forward(A, W, b, HP)
    with pytest.raises(ValueError, match=r"b must have shape \(1, 1, 1, 4\)"):
        convcore.conv_backward(DZ, (A, W, b, HP))
    with pytest.raises(ValueError, match=r"b must hold one bias per filter \(4\), got 3"):
        trace.forward_trace(A[0], W, np.zeros(3), 1, 0)


def test_bad_cache():
    with pytest.raises(ValueError, match=r"cache must be the \(A_prev, W, b, hparameters\) tuple"):
        convcore.conv_backward(DZ, (A, W, HP))
    with pytest.raises(ValueError, match=r"cache must be the \(A_prev, hparameters\) tuple"):
        convcore.pool_backward(DA_POOL, (A, POOL_HP, "max"))


# --- names of methods, modes, tie rules and conventions ---------------------------------------------


def test_unknown_method():
    _, cache = convcore.conv_forward(A, W, B, HP)
    with pytest.raises(ValueError, match=r"method must be 'scatter' or 'rot180', got 'flip'"):
        convcore.conv_backward(DZ, cache, method="flip")
    with pytest.raises(ValueError, match=r"method must be 'scatter' or 'rot180', got 'flip'"):
        naive.conv_backward(DZ, cache, method="flip")


@pytest.mark.parametrize("forward", POOL_FORWARDS)
def test_unknown_mode_forward(forward):
    with pytest.raises(ValueError, match=r"mode must be 'max' or 'average', got 'mean'"):
        forward(A, POOL_HP, mode="mean")


@pytest.mark.parametrize("backward", POOL_BACKWARDS)
def test_unknown_mode_and_ties_backward(backward):
    with pytest.raises(ValueError, match=r"mode must be 'max' or 'average', got 'avg'"):
        backward(DA_POOL, (A, POOL_HP), mode="avg")
    with pytest.raises(ValueError, match=r"ties must be 'all' \(the course: every maximum\) or 'first'.*got 'last'"):
        backward(DA_POOL, (A, POOL_HP), ties="last")


def test_unknown_names_in_helpers_and_traces():
    with pytest.raises(ValueError, match=r"ties must be 'all'"):
        naive.create_mask_from_window(np.eye(2), ties="random")
    with pytest.raises(ValueError, match=r"ties must be 'all'"):
        convcore.pool.window_mask(np.eye(2), ties="random")
    with pytest.raises(ValueError, match=r"mode must be 'max' or 'average'"):
        trace.pool_trace(A[0], POOL_HP, mode="min")
    with pytest.raises(ValueError, match=r"ties must be 'all'"):
        trace.pool_trace(A[0], POOL_HP, ties="last")
    with pytest.raises(ValueError, match=r"convention must be one of"):
        convcore.effective_kernel(W, "Convolution")
    with pytest.raises(ValueError, match=r"convention must be one of"):
        trace.rot180_trace((5, 5, 3), W, DZ[0], 1, 0, convention="correlate")


# --- inputs are never modified ----------------------------------------------------------------------


def _frozen(x: np.ndarray) -> np.ndarray:
    """A read-only copy: any write into it by the core raises instead of passing silently."""
    y = np.array(x, dtype=np.float64, copy=True)
    y.setflags(write=False)
    return y


def _public_calls():
    """Every public function of the core, called on read-only inputs; name -> (call, inputs)."""
    a, w, b, dz = _frozen(A), _frozen(W), _frozen(B), _frozen(DZ)
    a_pool, da_pool = _frozen(A), _frozen(DA_POOL)
    x1, w1, dz1 = _frozen(np.arange(5.0)), _frozen(np.array([2.0, 3.0])), _frozen(np.ones(4))
    hp = {"stride": 1, "pad": 1, "convention": "convolution"}
    dz_p1 = _frozen(np.ones((2, 6, 6, 4)))  # the output shape with pad 1
    pool_hp = dict(POOL_HP)
    calls = {
        "zero_pad": (lambda: convcore.zero_pad(a, 2), [a]),
        "rot180": (lambda: convcore.rot180(w), [w]),
        "dilate": (lambda: convcore.dilate(dz, 2), [dz]),
        "correlate": (lambda: convcore.correlate(a, w, 2), [a, w]),
        "effective_kernel": (lambda: convcore.effective_kernel(w, "convolution"), [w]),
        "rot180_inputs": (lambda: convcore.rot180_inputs(dz, (5, 5), (2, 2), 1, 0), [dz]),
        "conv_forward": (lambda: convcore.conv_forward(a, w, b, hp), [a, w, b, hp]),
        "conv_backward-scatter": (lambda: convcore.conv_backward(dz_p1, (a, w, b, hp)), [dz_p1, a, w, b, hp]),
        "conv_backward-rot180": (lambda: convcore.conv_backward(dz_p1, (a, w, b, hp), "rot180"), [dz_p1, a, w, b]),
        "grad_input_scatter": (lambda: convcore.grad_input_scatter(a.shape, w, dz, 1, 0), [w, dz]),
        "grad_input_rot180": (lambda: convcore.grad_input_rot180(a.shape, w, dz, 1, 0), [w, dz]),
        "grad_weight": (lambda: convcore.grad_weight(a, w.shape, dz, 1, 0, "convolution"), [a, dz]),
        "grad_bias": (lambda: convcore.grad_bias(dz), [dz]),
        "conv1d_forward": (lambda: convcore.conv1d_forward(x1, w1, 1, 0, "convolution"), [x1, w1]),
        "conv1d_grad_input_scatter": (lambda: convcore.conv1d_grad_input_scatter(5, w1, dz1), [w1, dz1]),
        "conv1d_grad_input_rot180": (lambda: convcore.conv1d_grad_input_rot180(5, w1, dz1), [w1, dz1]),
        "conv1d_grad_weight": (lambda: convcore.conv1d_grad_weight(x1, 2, dz1), [x1, dz1]),
        "pool_forward-max": (lambda: convcore.pool_forward(a_pool, pool_hp), [a_pool, pool_hp]),
        "pool_forward-average": (lambda: convcore.pool_forward(a_pool, pool_hp, "average"), [a_pool]),
        "pool_backward-max": (
            lambda: convcore.pool_backward(da_pool, (a_pool, pool_hp), ties="first"),
            [da_pool, a_pool],
        ),
        "pool_backward-average": (lambda: convcore.pool_backward(da_pool, (a_pool, pool_hp), "average"), [da_pool]),
        "window_mask": (
            lambda: convcore.pool.window_mask(convcore.pool.pool_windows(a_pool, 2, 2, 2, 2), "first"),
            [a_pool],
        ),
        "naive.zero_pad": (lambda: naive.zero_pad(a, 1), [a]),
        "naive.conv_single_step": (lambda: naive.conv_single_step(a[0, :2, :2], w[..., 0], b[..., 0]), [a, w, b]),
        "naive.conv_forward": (lambda: naive.conv_forward(a, w, b, hp), [a, w, b, hp]),
        "naive.conv_backward-scatter": (lambda: naive.conv_backward(dz_p1, (a, w, b, hp)), [dz_p1, a, w, b]),
        "naive.conv_backward-rot180": (lambda: naive.conv_backward(dz_p1, (a, w, b, hp), "rot180"), [dz_p1, a, w]),
        "naive.create_mask_from_window": (lambda: naive.create_mask_from_window(a[0, :2, :2, 0]), [a]),
        "naive.pool_forward": (lambda: naive.pool_forward(a_pool, pool_hp, "average"), [a_pool, pool_hp]),
        "naive.pool_backward-max": (lambda: naive.pool_backward(da_pool, (a_pool, pool_hp)), [da_pool, a_pool]),
        "naive.pool_backward-average": (lambda: naive.pool_backward(da_pool, (a_pool, pool_hp), "average"), [da_pool]),
        "trace.forward_trace": (lambda: trace.forward_trace(a[0], w, b, 1, 1, "convolution"), [a, w, b]),
        "trace.scatter_trace": (lambda: trace.scatter_trace((5, 5, 3), w, dz[0], 1, 0), [w, dz]),
        "trace.rot180_trace": (lambda: trace.rot180_trace((5, 5, 3), w, dz[0], 1, 0), [w, dz]),
        "trace.weight_trace": (lambda: trace.weight_trace(a[0], w.shape, dz[0], 1, 0, "convolution"), [a, dz]),
        "trace.input_cell_terms": (lambda: trace.input_cell_terms(w, dz[0], 1, 2, 2, 1), [w, dz]),
        "trace.pool_trace": (
            lambda: trace.pool_trace(a_pool[0], pool_hp, "max", da_pool[0], "first"),
            [a_pool, da_pool],
        ),
    }
    return calls


PUBLIC_CALLS = _public_calls()


@pytest.mark.parametrize("name", sorted(PUBLIC_CALLS))
def test_inputs_are_never_modified(name):
    call, inputs = PUBLIC_CALLS[name]
    before = copy.deepcopy(inputs)
    result = call()  # read-only arrays: an in-place write would raise here
    for x, x0 in zip(inputs, before, strict=True):
        if isinstance(x, dict):
            assert x == x0
        else:
            np.testing.assert_array_equal(x, x0)
    # and what is returned is the caller's to modify: writing into it leaves the inputs as they were
    for out in result if isinstance(result, tuple) else (result,):
        if isinstance(out, np.ndarray) and out.flags.writeable and out.size:
            out[...] = 12345.0
    for x, x0 in zip(inputs, before, strict=True):
        if not isinstance(x, dict):
            np.testing.assert_array_equal(x, x0)


def test_writable_inputs_are_not_modified_either():
    a, w, b, dz = A.copy(), W.copy(), B.copy(), np.ones((2, 6, 6, 4))
    hp = {"stride": 1, "pad": 1}
    _, cache = convcore.conv_forward(a, w, b, hp)
    for method in ("scatter", "rot180"):
        convcore.conv_backward(dz, cache, method=method)
    convcore.pool_backward(DA_POOL.copy(), convcore.pool_forward(a, POOL_HP)[1])
    for x, x0 in ((a, A), (w, W), (b, B)):
        np.testing.assert_array_equal(x, x0)
    assert hp == {"stride": 1, "pad": 1} and (dz == 1).all()
