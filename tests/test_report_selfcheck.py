"""A self-check says what it compared with (the public cases, never "the reference"),
every item has its own title, the self-check's total is explained against the
official one, and a submission that does not load says where (file, line, text)."""

from __future__ import annotations

import json
import re
import string
from collections import Counter

import pytest
from support import SOLUTIONS, grade_fast, mutant, write_submission

from grader import paths
from grader.api import grade
from grader.i18n import LANGS, Message, catalog, render
from grader.results.selfcheck import PUBLIC_WORDING, public_form

SAMPLE = paths.EXAMPLES / "sample_submission"
REFERENCE_WORDS = re.compile(r"\breference\b|参考答案", re.IGNORECASE)


def texts(result, lang: str) -> list[str]:
    """Every title, message and note a student reads, rendered."""
    out = []
    for er in result.exercises:
        out += [render(n, lang) for n in er.notes]
        for c in er.results:
            out.append(render(c.title, lang))
            out += [render(m, lang) for m in c.messages]
    return out


@pytest.fixture(scope="module")
def selfchecks(tmp_path_factory, sample_selfcheck_result, stubs_selfcheck_result):
    root = tmp_path_factory.mktemp("selfcheck")
    gates = mutant(root / "gates", {"rnn_layers.py": [("i, f, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]",
                                                       "f, i, o = s[:, :H], s[:, H:2 * H], s[:, 2 * H:]")]})
    backward = mutant(root / "backward", {"rnn_layers.py": [("dprev_c = dc * f", "dprev_c = dc")]})
    return {"sample": sample_selfcheck_result, "stubs": stubs_selfcheck_result,
            "gates": grade(gates, trusted_in_process=True), "backward": grade(backward, trusted_in_process=True)}


@pytest.mark.parametrize("lang", LANGS)
def test_a_self_check_never_claims_a_comparison_with_the_reference(selfchecks, lang):
    for name, result in selfchecks.items():
        assert not result.official
        said = [t for t in texts(result, lang) if REFERENCE_WORDS.search(t)]
        assert said == [], f"{name}: {said[:3]}"
    # the probes and the comparisons that used to say so did run
    keys = {m.key for r in selfchecks.values() for c in r.checks for m in [c.title, *c.messages]}
    assert {"public.value", "public.backward_reference", "public.net_value"} <= keys
    assert keys & {"public.gate_order_lstm", "public.backward_mismatch"}


def test_official_grading_keeps_its_wording():
    result = grade_fast(SOLUTIONS, "affine")
    assert any("reference" in render(c.title, "en") for c in result.checks)
    assert not any(c.title.key.startswith("public.") for c in result.checks)


def test_every_public_wording_exists_with_the_same_parameters():
    texts_ = catalog()

    def fields(key: str) -> set[str]:
        return {f for lang in LANGS for _, f, _, _ in string.Formatter().parse(texts_[key][lang]) if f}

    for official, public in PUBLIC_WORDING.items():
        assert official in texts_ and public in texts_, (official, public)
        assert fields(official) == fields(public), official
        assert not REFERENCE_WORDS.search(texts_[public]["en"] + texts_[public]["zh"])
    nested = Message("policy.pending_note", {"reason": Message("backward.mismatch", {}), "n": (1, "x")})
    assert public_form(nested).params["reason"].key == "public.backward_mismatch"


@pytest.mark.parametrize("lang", LANGS)
def test_every_item_has_its_own_title(selfchecks, lang):
    official = grade_fast(SOLUTIONS)
    for name, result in [*selfchecks.items(), ("official", official)]:
        titles = Counter(render(c.title, lang) for c in result.checks)
        assert [t for t, n in titles.items() if n > 1] == [], name


def test_the_self_check_knows_the_official_maximum(selfchecks):
    official = grade_fast(SOLUTIONS)
    sample = selfchecks["sample"]
    assert sample.official_max == official.max_score
    assert sample.max_score < sample.official_max  # the quiz counts only officially
    assert official.official_max is None


def test_load_errors_say_file_line_and_source(tmp_path):
    import nbformat

    sub = write_submission(tmp_path / "sub", {
        "bp_network.py": "import numpy as np\n\ndef two_layer_net_loss(:\n    pass\n",
        "layers.py": "x = 1\n\ndef helper():\n    raise ValueError('at import')\n\nhelper()\n",
    })
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np"),
                nbformat.v4.new_code_cell("def relu_forward(x):\n    return x,, x\n")]
    (sub / "hw.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    result = grade(sub)
    by_file = {e["file"]: e for e in result.load_errors}
    syntax = by_file["bp_network.py"]
    assert (syntax["kind"], syntax["line"], syntax["source"]) == ("syntax", 3, "def two_layer_net_loss(:")
    raised = by_file["layers.py"]
    assert (raised["line"], raised["source"]) == (4, "raise ValueError('at import')")  # the deepest frame
    cell = next(e for f, e in by_file.items() if "hw.ipynb" in f)
    assert (cell["line"], cell["source"]) == (2, "return x,, x")
    json.dumps(result.to_dict(), allow_nan=False)
