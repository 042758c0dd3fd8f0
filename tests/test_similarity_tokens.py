"""Normalised token streams: what a copier changes cheaply must not change them,
what two different implementations do differently must; graded functions are
found by name as the grader finds them."""

from __future__ import annotations

import textwrap

from grader.similarity.sources import Source
from grader.similarity.tokens import OTHER, split_units

F = ("relu_forward", "relu_backward", "affine_forward", "lstm_step_forward")


def units(*texts: str, functions=F, module=None) -> dict:
    sources = [Source(f"f{i}.py", textwrap.dedent(t), i if module is None else module) for i, t in enumerate(texts)]
    return split_units(sources, functions).units


def words(text: str, name: str = "affine_forward") -> list[str]:
    return units(text)[name].words


ORIGINAL = '''
    import numpy as np

    def affine_forward(x, w, b):
        """Affine layer."""
        # flatten the input
        flat = x.reshape(x.shape[0], -1)
        out = flat @ w + b  # the product
        return out, (x, w, b)
'''


def test_renaming_comments_docstrings_and_layout_are_invisible():
    disguised = '''
    import numpy as numpy_alias

    def affine_forward(inp, weights, bias):
        # totally my own work
        """Computes the layer.

        Long explanation."""
        reshaped = inp.reshape(
            inp.shape[0],
            -1,
        )


        result = (reshaped @ weights
                  + bias)
        return result, (inp, weights, bias,)
    '''
    assert words(ORIGINAL) == words(disguised)
    assert words(ORIGINAL) == ["V", "=", "V", ".", "reshape", "(", "V", ".", "shape", "[", "N", "]", ",", "-", "N",
                               ")", ";", "V", "=", "V", "@", "V", "+", "V", ";", "return", "V", ",", "(", "V", ",",
                               "V", ",", "V", ")", ";"]


def test_literals_are_abstracted_but_library_names_keyword_arguments_and_builtins_are_kept():
    a = words("def affine_forward(x, w, b):\n    return np.sum(x * 2.0, axis=0, keepdims=True), len(x), 'k'\n")
    b = words("def affine_forward(p, q, r):\n    return np.sum(p * 3, axis=1, keepdims=True), len(p), \"other\"\n")
    assert a == b
    assert {"sum", "axis", "keepdims", "len", "N", "S"} <= set(a)
    # a different library call or keyword is a different stream
    assert a != words("def affine_forward(x, w, b):\n    return np.mean(x * 2.0, axis=0, keepdims=True), len(x), 'k'\n")
    assert a != words("def affine_forward(x, w, b):\n    return np.sum(x * 2.0, out=0, keepdims=True), len(x), 'k'\n")


def test_an_f_string_is_one_literal_on_every_python():
    # Python 3.12 lexes f-strings into many tokens, 3.11 into one
    a = words('def affine_forward(x, w, b):\n    return f"{x!r:>{w}} and {b}" + f\'{{literal}}\'\n')
    b = words('def affine_forward(x, w, b):\n    return "plain" + \'other\'\n')
    assert a == b == ["return", "S", "+", "S", ";"]


def test_block_structure_and_statement_order_are_kept():
    loop = "def affine_forward(x, w, b):\n    for i in range(3):\n        x = x + 1\n    return x\n"
    flat = "def affine_forward(x, w, b):\n    for i in range(3):\n        x = x + 1\n        return x\n"
    assert words(loop) != words(flat)
    assert "{" in words(loop) and "}" in words(loop)


def test_function_found_wherever_it_is_and_only_at_the_top_level():
    u = units(
        "import numpy as np\n",
        '''
        class Layer:
            def relu_forward(self, x):  # a method: the grader never calls it
                return x

        def helper(x):
            def relu_backward(dout, cache):  # nested: not top-level either
                return dout
            return relu_backward

        if True:
            def affine_forward(x, w, b):  # inside an if at the top level: found
                return x @ w + b, None

        async def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b): return x, x, None
        ''',
    )
    assert set(u) == {"affine_forward", "lstm_step_forward", OTHER}
    assert u["affine_forward"].span[1:] == (12, 13)
    assert u["lstm_step_forward"].words == ["return", "V", ",", "V", ",", "None", ";"]
    assert "relu_forward" not in u and "relu_backward" not in u
    assert "helper" not in u[OTHER].words  # names are normalised in the rest too
    assert u[OTHER].words.count("def") == 3  # the method, the helper and its nested def stay in OTHER


def test_the_last_definition_of_a_module_wins_and_a_real_one_beats_a_stub():
    u = units(
        "def relu_forward(x):\n    return x * 2, None\n\ndef relu_forward(x):\n    return np.maximum(x, 0), x\n",
        "def affine_forward(x, w, b):\n    raise NotImplementedError('affine_forward')\n",
        "def affine_forward(x, w, b):\n    '''mine'''\n    return x @ w + b, (x, w)\n",
    )
    assert "maximum" in u["relu_forward"].words
    assert u["affine_forward"].span[0] == 2 and not u["affine_forward"].is_stub
    # the release's stub alone is found, and known to be a stub
    stub = units("def affine_forward(x, w, b):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError('x')\n")
    assert stub["affine_forward"].is_stub
    assert units("def affine_forward(x, w, b):\n    pass\n")["affine_forward"].is_stub


def test_notebook_cells_form_one_module():
    # cells of one notebook: a later cell's definition replaces an earlier one
    u = units("def relu_forward(x):\n    return x, None\n", "def relu_forward(x):\n    return np.maximum(x, 0), x\n",
              module=0)
    assert u["relu_forward"].span[0] == 1 and "maximum" in u["relu_forward"].words


def test_broken_code_gives_a_note_and_keeps_what_precedes():
    sources = [Source("ok.py", "def relu_forward(x):\n    return np.maximum(x, 0), x\n", 0),
               Source("bad.py", "def affine_forward(x, w, b):\n        y = 1\n    return y\n", 1),
               Source("open.py", "def relu_backward(dout, cache):\n    return (dout *\n", 2)]
    split = split_units(sources, F)
    assert "maximum" in split.units["relu_forward"].words
    assert "affine_forward" in split.units and "relu_backward" in split.units
    keys = [n.key for n in split.notes]
    assert keys == ["similarity.note.lex_error", "similarity.note.lex_error"]
    assert [n.params["file"] for n in split.notes] == ["bad.py", "open.py"]


def test_positions_point_at_the_original_lines():
    u = units("\n\ndef relu_forward(x):\n    # c\n    y = x\n\n    return y, x\n")
    lines = [p & 0xFFFFFFFF for p in u["relu_forward"].pos]
    assert sorted(set(lines)) == [5, 7]
    assert u["relu_forward"].span == (0, 3, 7)
