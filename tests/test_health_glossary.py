"""Chinese texts use the lecture's terms (docs/glossary.md), one term per idea.

Every Chinese string of the message catalogues and the quiz bank is scanned, and
the Chinese comments and docstrings of the reference and the release, for wordings
the glossary rules out: the BiRNN's two layers are 向前传播层 / 反向传播层 (never 反向层,
向前层, [反向; 向前]); a gradient travels *back* through time (向前传 only in 向前传播层;
forward propagation is 正向传播); running statistics are 滑动平均统计量; a batch is a
批量 (never 批次, 批统计量). Indices shown to students are 0-based, as in the code
and the English texts: a time step, sample, unit... is named by its index (时刻 0,
样本 2), never counted with 第 (第 0 个时刻 reads as "the 0th", 第 1 个 as the first);
and a number placed in a Chinese sentence is set off by spaces (时刻 0 给, not 时刻 0给)."""

from __future__ import annotations

import re
import tomllib

import pytest

from grader import paths
from grader.i18n import catalog

# (pattern, what to write instead)
FORBIDDEN = [
    (r"(反向|向前|正向|前向|后向)层", "向前传播层 / 反向传播层 (the BiRNN's layers)"),
    (r"[\[（(](反向|向前)\s*[;；,，]", "the halves by their full names: [向前传播层; 反向传播层]"),
    (r"向前传(?!播层)", "a gradient goes back in time (沿时间反向传播); forward propagation is 正向传播"),
    (r"滑动统计量", "滑动平均统计量 (running statistics)"),
    (r"批次|批统计", "批量 / 批量统计量 (a batch)"),
    (r"第\s*\{(i|t|t0|s|first|step_index)\}\s*个", "a 0-based index as a name: 时刻 {t}, 样本 {i}"),
    (r"\d[给在时的]|[给在于]\d", "a space between a number and the Chinese text around it"),
]


def _zh_strings(data: object, key: str = "") -> list[tuple[str, str]]:
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            found += _zh_strings(v, f"{key}.{k}" if key else str(k))
    elif isinstance(data, list):
        for k, v in enumerate(data):
            found += _zh_strings(v, f"{key}[{k}]")
    elif isinstance(data, str) and (key.endswith("zh") or re.search(r"[\u4e00-\u9fff]", data)):
        found.append((key, data))
    return found


def texts() -> list[tuple[str, str]]:
    """(where, text) of every Chinese text a student or instructor reads."""
    out = []
    folders = [paths.ROOT / "grader" / "i18n" / "messages", paths.SOLUTIONS / "quiz", paths.EXERCISES / "quiz"]
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            out += [(f"{path.relative_to(paths.ROOT)}: {k}", v) for k, v in _zh_strings(data)]
    sources = [*paths.SOLUTIONS.glob("*.py"), *paths.EXERCISES.glob("*.py"),
               paths.EXAMPLES / "sample_submission" / "quiz_answers.toml"]
    for path in sorted(sources):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"[\u4e00-\u9fff]", line):
                out.append((f"{path.relative_to(paths.ROOT)}:{n}", line))
    return out


def offences(items: list[tuple[str, str]]) -> list[str]:
    wrong = []
    for where, text in items:
        for pattern, instead in FORBIDDEN:
            for m in re.finditer(pattern, text):
                wrong.append(f"{where}: {m.group()!r} -> {instead}")
    return wrong


def test_the_scan_reads_every_catalogue_and_the_quiz_bank():
    found = texts()
    assert len(found) > 500
    assert any("messages/recurrent.toml" in w for w, _ in found)
    assert any("solutions/quiz/stability.toml" in w for w, _ in found)


def test_chinese_texts_use_the_glossarys_terms():
    assert offences(texts()) == []


@pytest.mark.parametrize("bad", [
    "你的反向层部分", "输出为 [向前; 反向]", "梯度每向前传一个时刻", "滑动统计量从 0 开始", "一个批次", "批统计量",
    "只在第 {t} 个时刻给上游梯度", "只在时刻 0给上游梯度时",
])
def test_each_rule_catches_what_it_is_for(bad):
    assert offences([("example", bad)]), bad


@pytest.mark.parametrize("good", [
    "向前传播层和反向传播层", "先正向传播，再反向传播", "滑动平均统计量", "批归一化对整个批量", "只在时刻 0 给上游梯度时",
    "第 {line} 行", "第 {number} 题",
])
def test_the_right_terms_pass(good):
    assert offences([("example", good)]) == []


def test_rendered_time_step_texts_name_0_based_steps_with_spaces():
    """What a student reads: every time-step probe text, rendered with step 0 and each
    half label, has no number glued to a Chinese character and no 第 before an index."""
    from grader.i18n import msg, render

    for half in ("", msg("recurrent.half.forward"), msg("recurrent.half.backward")):
        for key, params in [("recurrent.timestep.wrong", {"t": 0, "first": 0, "steps": "0, 1", "grads": "dx"}),
                            ("recurrent.timestep.wrong_params", {"t": 0, "grads": "dx"}),
                            ("recurrent.timestep.right", {"steps": "0"}),
                            ("recurrent.timestep.wrong_side", {"t": 0, "steps": "1"})]:
            text = render(msg(key, half=half, **params), "zh")
            assert "时刻 0" in text and "第 0" not in text, text
            assert offences([(key, text)]) == [], text
    assert catalog()["axis.time"]["zh"] == "时刻 {i}"

