"""Loading a submission as plain Python would, and saying what stopped it (issue 10).

Packages get a real ``__path__`` and modules load through the import system (CS231n's
``cs231n/`` folder whose modules import their siblings, ``from cs231n import optim``,
relative imports, a plain folder whose files import each other); a syntax error keeps
Python's own explanation, the offending line and the student's path, and is blamed on
its own file only; a module that imports something the grader lacks says so and what
was lost; starter code that does not raise NotImplementedError is "not implemented
yet"; a numpy API that numpy removed is named. Broken submissions go through the real
sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import SOLUTIONS, grade_official, write_submission

from grader.i18n import LANGS, render
from grader.results.text import load_messages
from grader.sandbox.session import Limits

FAST = Limits(call_seconds=5.0, total_seconds=60.0, load_seconds=10.0)
LAYERS = (SOLUTIONS / "layers.py").read_text(encoding="utf-8")
RELU = '''
import numpy as np

def relu_forward(x):
    return helper(x), x

def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
'''


def load_text(result, lang: str = "en") -> str:
    return "\n".join(render(m, lang) for m in load_messages(result))


def first_messages(result, lang: str = "en") -> list[str]:
    return [render(c.messages[0], lang) for c in result.checks if c.status != "passed" and c.messages]


def full_marks(result) -> bool:
    return result.max_score > 0 and result.score == result.max_score


# ------------------------------------------------------------------ packages
@pytest.mark.parametrize("init", [True, False], ids=["package", "namespace"])
def test_a_cs231n_folder_whose_modules_import_their_siblings_loads_as_python_would(tmp_path, init):
    files = {
        "cs231n/utils.py": "import numpy as np\n\ndef helper(x):\n    return np.maximum(0.0, x)\n",
        "cs231n/layers.py": "from cs231n.utils import helper\n" + RELU,
        # imports a sibling module by ``from package import module`` and relatively
        "cs231n/optim.py": "def sgd(w, dw, config=None):\n    return w - dw, config\n",
        "cs231n/solver.py": "from cs231n import optim\nfrom .layers import *\n\nUPDATE = optim.sgd\n",
        "cs231n/classifiers/fc_net.py": "from ..layers import relu_forward\nfrom cs231n.solver import UPDATE\n",
        # CS231n's notebooks import the package's modules from the folder above it
        "RNN_Captioning.py": "from cs231n.layers import *\nfrom cs231n.classifiers.fc_net import relu_forward\n",
    }
    if init:
        files["cs231n/__init__.py"] = ""
        files["cs231n/classifiers/__init__.py"] = ""
    result = grade_official(write_submission(tmp_path / "sub", files), "relu", limits=FAST)
    assert full_marks(result), first_messages(result)
    assert result.load_errors == []


def test_a_two_file_package_scores_the_same_with_and_without_its_init(tmp_path):
    files = {"cs231n/utils.py": "import numpy as np\n\ndef helper(x):\n    return np.maximum(0.0, x)\n",
             "cs231n/layers.py": "from cs231n.utils import helper\n" + RELU}
    without = grade_official(write_submission(tmp_path / "a", files), "relu", limits=FAST)
    with_init = grade_official(write_submission(tmp_path / "b", {**files, "cs231n/__init__.py": ""}), "relu",
                               limits=FAST)
    assert full_marks(without) and full_marks(with_init), (first_messages(without), first_messages(with_init))


def test_files_of_a_plain_folder_import_each_other_by_bare_name(tmp_path):
    files = {"hw/helpers.py": "import numpy as np\n\ndef helper(x):\n    return np.maximum(0.0, x)\n",
             "hw/layers.py": "from helpers import helper\n" + RELU}
    result = grade_official(write_submission(tmp_path / "sub", files), "relu", limits=FAST)
    assert full_marks(result), first_messages(result)
    assert result.load_errors == []


def test_a_module_named_like_the_standard_library_is_still_graded(tmp_path):
    files = {"random.py": "import numpy as np\n\ndef helper(x):\n    return np.maximum(0.0, x)\n" + RELU}
    result = grade_official(write_submission(tmp_path / "sub", files), "relu", limits=FAST)
    assert full_marks(result), first_messages(result)


# ------------------------------------------------------------------ syntax errors
def test_a_syntax_error_keeps_pythons_explanation_and_is_blamed_on_its_own_file(tmp_path):
    broken = LAYERS.replace("def relu_forward(x):", "def relu_forward(x):\n    print 'relu'")
    network = "from layers import *\n" + (SOLUTIONS / "bp_network.py").read_text(encoding="utf-8")
    root = write_submission(tmp_path / "sub", {"layers.py": broken, "bp_network.py": network})
    result = grade_official(root, "relu", "sgd", limits=FAST)
    line = broken.splitlines().index("    print 'relu'") + 1
    syntax = [e for e in result.load_errors if e["kind"] == "syntax"]
    assert [e["where"] for e in syntax] == ["layers.py"]  # not also bp_network.py with layers' line
    for lang in LANGS:
        text = load_text(result, lang)
        assert "Missing parentheses in call to 'print'" in text  # Python's own explanation
        assert "layers.py" in text and str(line) in text and "print 'relu'" in text
        assert "/submission" not in text and str(tmp_path) not in text and "rnngrade-sub" not in text
    en = load_text(result)
    assert en.index("layers.py, line") < en.index("bp_network.py, line 1: importing layers.py failed")
    assert "^" in syntax[0]["traceback"] and 'File "layers.py"' in syntax[0]["traceback"]
    # The functions of both files were lost, and their checks say why first.
    firsts = first_messages(result)
    assert any("relu_forward was not loaded: layers.py stopped loading" in t for t in firsts), firsts
    assert any("sgd_step was not loaded: bp_network.py stopped loading at line 1" in t for t in firsts), firsts


@pytest.mark.parametrize("data,python_says,hint", [
    ("def relu_forward(x):\n    return '你好'\n".encode("gbk"), "codec can't decode", {"en": "UTF-8", "zh": "UTF-8"}),
    (b"def relu_forward(x):\n\x00    return x\n", "null bytes", {"en": "UTF-16", "zh": "UTF-16"}),
], ids=["gbk", "null-bytes"])
def test_a_file_python_cannot_decode_says_why_and_how_to_save_it(tmp_path, data, python_says, hint):
    root = tmp_path / "sub"
    root.mkdir()
    (root / "layers.py").write_bytes(data)
    result = grade_official(root, "relu", limits=FAST)
    for lang in LANGS:
        text = load_text(result, lang)
        assert python_says in text and hint[lang] in text, text


# ------------------------------------------------------------------ missing modules
def test_a_module_importing_something_the_grader_lacks_says_so_and_what_was_lost(tmp_path):
    code = "import numpy as np\nimport matplotlib.pyplot as plt\n" + LAYERS
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": code}), "relu", limits=FAST)
    (error,) = result.load_errors
    assert error["kind"] == "missing_module" and error["missing"] == "matplotlib" and error["line"] == 2  # a number (grader.submission.lines)
    assert {"relu_forward", "relu_backward"} <= set(error["lost"])
    assert error["lost"][:2] == ["relu_forward", "relu_backward"]  # the graded functions first
    for lang in LANGS:
        text = load_text(result, lang)
        assert "matplotlib" in text and "relu_forward" in text
    firsts = first_messages(result)
    assert firsts and all("matplotlib" in t and "was not loaded" in t for t in firsts), firsts


# ------------------------------------------------------------------ starter code
CS231N_STUB = '''
import numpy as np

def relu_forward(x):
    """Computes the forward pass for a layer of rectified linear units (ReLUs)."""
    out = None
    ###########################################################################
    # TODO: Implement the ReLU forward pass.                                  #
    ###########################################################################
    # *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****

    pass

    # *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****
    cache = x
    return out, cache


def relu_backward(dout, cache):
    dx, x = None, cache
    # TODO: Implement the ReLU backward pass.
    pass
    return dx


def sigmoid_forward(x):
    # TODO
    return out, cache


def sigmoid_backward(dout, cache):
    pass
'''


def test_starter_code_that_does_not_raise_is_not_implemented_yet(tmp_path):
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": CS231N_STUB}), "relu", "sigmoid",
                            limits=FAST)
    assert result.score == 0
    for check in result.checks:
        for lang, words in (("en", "not implemented yet"), ("zh", "尚未实现")):
            assert words in render(check.messages[0], lang), (check.id, render(check.messages[0], lang))
    texts = " ".join(render(m, "en") for c in result.checks for m in c.messages)
    assert "NoneType" not in texts and "not a numeric numpy array" not in texts
    assert "NameError" in texts  # sigmoid_forward returns names it never assigned: said, as what it did


def test_real_code_with_a_pass_left_in_it_is_graded(tmp_path):
    code = LAYERS.replace("def relu_forward(x):\n", "def relu_forward(x):\n    if x is None:\n        pass\n")
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": code}), "relu", limits=FAST)
    assert full_marks(result), first_messages(result)


# ------------------------------------------------------------------ numpy versions
def test_a_numpy_api_that_numpy_removed_is_named_with_the_version_that_grades(tmp_path):
    import numpy as np

    code = LAYERS.replace("    return np.maximum(0.0, x), x\n",
                          "    out = np.reshape(np.maximum(0.0, x), newshape=x.shape)\n    return out, x\n")
    code = code.replace("def sigmoid_forward(x):\n", "def sigmoid_forward(x):\n    x = x.astype(np.float)\n")
    assert code.count("newshape") == 1 and code.count("np.float)") == 1
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": code}), "relu", "sigmoid",
                            limits=FAST)
    relu = next(c for c in result.checks if c.id == "relu.forward")
    sigmoid = next(c for c in result.checks if c.id == "sigmoid.forward")
    for lang in LANGS:
        text = render(relu.messages[0], lang)
        assert "newshape" in text and "2.4" in text and np.__version__ in text, text
        assert "np.float" in render(sigmoid.messages[0], lang) and "1.24" in render(sigmoid.messages[0], lang)


def test_a_removed_numpy_api_at_module_level_is_named_in_the_load_messages(tmp_path):
    code = "import numpy as np\nDTYPE = np.float_\n" + LAYERS
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": code}), "relu", limits=FAST)
    for lang in LANGS:
        text = load_text(result, lang)
        assert "np.float_" in text and "np.float64" in text and "2.0" in text, text


def test_every_message_of_a_broken_submission_renders(tmp_path):
    result = grade_official(write_submission(tmp_path / "sub", {"layers.py": CS231N_STUB + "\nx = (\n"}), "relu",
                            limits=FAST)
    for lang in LANGS:
        assert load_text(result, lang).strip()
    assert Path(tmp_path / "sub" / "layers.py").exists()


# ------------------------------------------------------------------ notebooks
def test_a_notebook_cell_that_trains_for_minutes_is_named_and_skipped(tmp_path):
    import json

    def cell(source: str) -> dict:
        return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}

    train = "import time\nfor epoch in range(1000):\n    time.sleep(1)  # a training loop at the top level\n"
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
          "cells": [cell(LAYERS), cell(train), cell("def relu_backward(dout, cache):\n"
                                                    "    return dout * (cache > 0)\n")]}
    path = tmp_path / "assignment.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    result = grade_official(path, "relu", limits=Limits(load_seconds=2.0, total_seconds=30.0))
    assert full_marks(result), first_messages(result)  # the cells after the training loop ran too
    for lang, name in (("en", "assignment.ipynb, code cell 2 (`import time`)"),
                       ("zh", "assignment.ipynb 的第 2 个代码单元格（`import time`）")):
        assert name in load_text(result, lang)
    assert set(LANGS) == {"en", "zh"}


def test_a_module_that_hangs_after_importing_a_sibling_is_the_one_named(tmp_path):
    files = {"zz_helpers.py": "X = 1\n", "layers.py": "import zz_helpers\nwhile True:\n    pass\n"}
    result = grade_official(write_submission(tmp_path / "sub", files), "relu",
                            limits=Limits(load_seconds=2.0, total_seconds=20.0))
    assert result.load_status == "timeout"
    where = [n.params["where"] for n in result.notices if n.key == "load.stopped.timeout"]
    assert where == ["layers.py"]  # not zz_helpers.py, whose import (nested in layers.py) finished first
