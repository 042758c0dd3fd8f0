"""The report's code words are found by a tree of their common prefixes
(grader.report.html.alternation): it marks exactly what the alternation sorted longest
first marks, with the same boundaries, on texts made to trip it (words that are
prefixes of others, brackets, quotes, HTML escapes, neighbours on either side)."""

from __future__ import annotations

import random
import re

from markupsafe import escape

from grader.report.html import _words_anywhere, _words_pattern, alternation, rich

WORDS = ["dW", "dWh", "dWh_f", "dWh_b", "dWx", "rnn_forward", "rnn_forward_step", "grads['W1']", "grads['W']",
         "clipped[0]", "clipped[1]", "bn_param['running_mean']", "x_t", "a", "ab", "abc", "abd", "lstm_step()", "lstm_step", "h",
         "h&t", "<w>"]


def sorted_alternation(words: frozenset[str]) -> re.Pattern[str]:
    """The long way: every word listed, the longest first."""
    escaped = [str(escape(w)) for w in words]
    alternatives = "|".join(re.escape(w) for w in sorted(escaped, key=len, reverse=True))
    first = "".join(sorted({re.escape(w[0]) for w in escaped}))
    return re.compile(r"(?<![A-Za-z0-9_>\[])(?=[" + first + r"])(" + alternatives + r")(?![A-Za-z0-9_<\[])", re.ASCII)


def test_the_tree_matches_exactly_the_words():
    pattern = re.compile("(?:" + alternation(["ab", "abc", "b", "a+b", "x.y"]) + r")\Z")
    for text in ("ab", "abc", "b", "a+b", "x.y"):
        assert pattern.match(text)
    for text in ("a", "abd", "aab", "xzy", "", "abcab"):
        assert not pattern.match(text)


def test_the_tree_marks_what_the_sorted_alternation_marks():
    rng = random.Random(15)
    pieces = WORDS + [" ", "_", "[", "]", "<", ">", "x", "1", "&#39;", "(", ")", "，", "梯度", "'", ".", "-"]
    for size in (1, 3, len(WORDS)):
        words = frozenset(rng.sample(WORDS, size))
        ours, theirs = _words_pattern(words), sorted_alternation(words)
        for _ in range(300):
            text = str(escape("".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))))
            assert ours.sub(r"<\1>", text) == theirs.sub(r"<\1>", text), (words, text)
            assert bool(_words_anywhere(words).search(text)) == any(str(escape(w)) in text for w in words)


def test_rich_sets_the_longest_word_in_code():
    words = frozenset({"dWh", "dWh_f", "grads['W1']"})
    assert str(rich("dWh_f and dWh, not dWhx; grads['W1']", words)) == (
        "<code>dWh_f</code> and <code>dWh</code>, not dWhx; <code>grads[&#39;W1&#39;]</code>")


def one_pattern(out: str, words: frozenset[str]) -> str:
    """The long way: every word in one pattern, on the text outside tags."""
    from grader.report.html import _TAGS

    pattern = sorted_alternation(words)
    return "".join(p if p.startswith("<") else pattern.sub(r"<code>\1</code>", p) for p in _TAGS.split(out))


def test_names_looked_up_mark_what_one_pattern_of_all_words_marks():
    from grader.report.html import _mark_words

    rng = random.Random(16)
    words_pool = WORDS + ["grads", "params", "W1", "clipped", "x1", "b_out", "h_t"]
    # As rich() hands them over: escaped text, and the tags it made itself.
    pieces = [str(escape(p)) for p in words_pool + [" ", "_", "[", "]", "<", ">", "x", "1", "(", ")", "，", "梯度",
                                                    "'", ".", "-"]]
    pieces += ["<code>dW</code>", '<span class="num">1</span>', "<sub>t</sub>"]
    for size in (1, 3, 8, len(words_pool)):
        for _ in range(40):
            words = frozenset(rng.sample(words_pool, size))
            for _ in range(25):
                text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
                assert _mark_words(text, words) == one_pattern(text, words), (words, text)


def test_a_word_ending_in_a_bracket_keeps_the_one_pattern():
    from grader.report.html import _mark_words

    words = frozenset({"x[", "dW"})
    for text in ("x[dW]", "dW x[ dW", "x[x[dW"):
        assert _mark_words(text, words) == one_pattern(text, words)
