"""The app shell: router, home page, shared controls, URL state, typed matrices (AppTest, the real app.py)."""

from __future__ import annotations

import pytest

from tests.apphelpers import array, assert_clean, figures, messages, open_app, open_share_link, texts


def test_home_states_the_question_and_links_every_page():
    at = open_app()
    assert_clean(at)
    body = texts(at)
    assert "Is the kernel flipped in backprop?" in body
    assert "rotated 180 degrees" in body
    links = [el.proto.page for el in at.get("page_link")]
    assert any("forward" in link for link in links) and any("flip" in link for link in links)


@pytest.mark.parametrize("page", ["forward", "flip"])
def test_every_page_renders_charts_with_default_controls(page):
    at = open_app(page)
    assert_clean(at)
    assert figures(at), "no chart on the page"
    assert not messages(at, "error")


def test_query_parameters_reopen_the_configuration():
    at = open_app("forward", {"h": "7", "w": "5", "stride": "2", "pad": "1", "kernel": "random"})
    assert_clean(at)
    assert at.sidebar.number_input(key="stride").value == 2
    assert at.sidebar.number_input(key="h").value == 7
    assert at.sidebar.selectbox(key="kernel").value == "random"
    # n_H = 1 + (7 + 2 - 3) // 2 = 4, n_W = 1 + (5 + 2 - 3) // 2 = 3
    assert "= 4" in texts(at) and "= 3" in texts(at)


def test_nonsense_in_the_url_opens_at_defaults_with_a_notice():
    at = open_app(None, {"stride": "zzz", "h": "99999", "kernel": "<script>", "pad": "-4"})
    assert_clean(at)
    assert at.sidebar.number_input(key="stride").value == 1
    assert at.sidebar.number_input(key="h").value == 6
    assert at.sidebar.selectbox(key="kernel").value == "asymmetric 1..n"
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and "could not be used" in toasts[0]
    for key in ("stride", "h", "kernel", "pad"):
        assert f"`{key}`" in toasts[0]


def test_kernel_larger_than_padded_input_is_a_clear_message_not_a_crash():
    at = open_app("forward", {"h": "3", "w": "3", "kh": "5", "kw": "5", "kernel": "random"})
    assert_clean(at)
    errors = messages(at, "error")
    assert any("larger than the padded input" in e for e in errors)
    assert not figures(at)
    # more padding makes it fit again
    at.sidebar.number_input(key="pad").set_value(1).run()
    assert_clean(at)
    assert not messages(at, "error") and figures(at)


def test_custom_input_parses_and_bad_text_keeps_the_last_good_matrix():
    at = open_app("forward", {"input": "custom"})
    assert_clean(at)
    at.sidebar.text_area(key="input_text").set_value("1 2 3 4\n4 5 6 7\n7 8 9 0").run()
    assert_clean(at)
    fig = figures(at)["forward_anim"]
    assert array(fig["data"][0]["z"]).shape == (3, 4)  # 3x4 input, pad 0
    at.sidebar.text_area(key="input_text").set_value("1 2 3 4\n4 five 6 7").run()
    assert_clean(at)
    errors = messages(at, "error")
    assert any("line 2" in e and "'five' is not a number" in e for e in errors)
    fig = figures(at)["forward_anim"]
    assert array(fig["data"][0]["z"]).shape == (3, 4)  # the last good matrix is still shown
    # code is never run: an expression is refused like any other non-number
    at.sidebar.text_area(key="input_text").set_value("__import__('os').system('true')").run()
    assert_clean(at)
    assert any("is not a number" in e for e in messages(at, "error"))


def test_custom_kernel_with_channels_and_a_wrong_block_count():
    at = open_app("forward", {"kernel": "custom", "cin": "2", "cout": "2"})
    at.sidebar.text_area(key="kernel_text").set_value("1 0\n0 -1 | 2 2\n2 2 | 0 1\n1 0").run()
    assert_clean(at)
    assert any("3 matrices" in e for e in messages(at, "error"))
    at.sidebar.text_area(key="kernel_text").set_value("1 0\n0 -1 | 2 2\n2 2 | 0 1\n1 0 | 5 5\n5 5").run()
    assert_clean(at)
    assert not messages(at, "error")


def test_every_shared_control_at_its_extremes_never_raises():
    at = open_app("flip")
    for key, value in [
        ("h", 32),
        ("w", 1),
        ("cin", 4),
        ("cout", 4),
        ("kh", 7),
        ("kw", 1),
        ("stride", 4),
        ("pad", 3),
        ("seed", 9999),
    ]:
        at.sidebar.number_input(key=key).set_value(value).run()
        assert_clean(at)
    for preset in ["ramp", "checkerboard", "digit", "plateaus (ties)"]:
        at.sidebar.selectbox(key="input").set_value(preset).run()
        assert_clean(at)
    at.sidebar.radio(key="conv").set_value("true convolution").run()
    assert_clean(at)


def test_share_link_carries_the_changed_controls():
    at = open_app("forward")
    at.sidebar.number_input(key="stride").set_value(2).run()
    at.sidebar.number_input(key="pad").set_value(1).run()
    codes = open_share_link(at)
    assert any("stride=2" in c and "pad=1" in c for c in codes)


def test_a_page_control_the_link_cannot_set_is_named_in_the_notice():
    at = open_app("flip", {"dz": "not a preset", "stride": "2"})
    assert_clean(at)
    assert at.selectbox(key="dz").value == "ones" and at.sidebar.number_input(key="stride").value == 2
    toasts = [t.proto.body for t in at.get("toast")]
    assert toasts and "`dz`" in toasts[0] and "`stride`" not in toasts[0]
