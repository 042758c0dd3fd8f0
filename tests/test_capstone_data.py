"""The capstone's sentiment data set: format, balance, split, vocabulary,
tokenisation and the loader's arrays."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from grader.capstone import dataset as ds
from grader.capstone.dataset import (
    DataError,
    Vocabulary,
    build_vocabulary,
    encode,
    load_sentiment,
    read_sentences,
    read_vocabulary,
    tokenize,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sentences():
    return read_sentences()


def test_several_hundred_sentences_per_language_balanced_and_split_80_20(sentences):
    groups = Counter((s.lang, s.label, s.split) for s in sentences)
    for lang in ds.LANGS:
        n = [groups[lang, label, split] for label in (0, 1) for split in ds.SPLITS]
        pos = groups[lang, 1, "train"] + groups[lang, 1, "heldout"]
        neg = groups[lang, 0, "train"] + groups[lang, 0, "heldout"]
        assert pos == neg >= 300, (lang, n)
        for label in (0, 1):  # stratified: exactly a fifth of each language x label group held out
            total = groups[lang, label, "train"] + groups[lang, label, "heldout"]
            assert groups[lang, label, "heldout"] * 5 == total


def test_the_lectures_example_is_a_held_out_positive_sentence(sentences):
    s = next(s for s in sentences if s.text == "今天是个好日子")
    assert (s.lang, s.label, s.split) == ("zh", 1, "heldout")


def test_negation_occurs_with_both_labels_so_single_words_do_not_decide(sentences):
    def with_word(lang, word, label):
        return sum(1 for s in sentences if s.lang == lang and s.label == label and word in tokenize(s.text, lang))

    for lang, word in (("en", "not"), ("zh", "不"), ("zh", "没")):
        assert with_word(lang, word, 0) >= 10 and with_word(lang, word, 1) >= 10, (lang, word)
    texts = {s.text: s.label for s in sentences}
    assert texts["The weather was not bad at all for the match."] == 1 and texts["比赛那天天气不太好"] == 0
    assert texts["这节课一点也不无聊"] == 1 and texts["这节课一点也不有趣"] == 0


def test_shipped_vocabulary_is_built_from_the_training_split_only(sentences):
    tokens = (ds.VOCAB_FILE).read_text(encoding="utf-8").splitlines()
    assert tokens == build_vocabulary(sentences), "vocab.txt is stale: see DATA_CARD.md, 'Changing the data'"
    assert tokens[:2] == ["<pad>", "<unk>"] and len(set(tokens)) == len(tokens)
    train_counts = Counter(t for s in sentences if s.split == "train" for t in tokenize(s.text, s.lang))
    assert all(train_counts[t] >= ds.MIN_COUNT for t in tokens[2:])
    assert all(train_counts[t] >= train_counts[u] for t, u in zip(tokens[2:], tokens[3:], strict=False))
    held_only = {t for s in sentences if s.split == "heldout" for t in tokenize(s.text, s.lang)} - set(train_counts)
    assert held_only and not held_only & set(tokens)  # held-out words never enter the vocabulary


def test_held_out_sentences_use_words_seen_in_training(sentences):
    vocab = read_vocabulary()
    held = [tokenize(s.text, s.lang) for s in sentences if s.split == "heldout"]
    known = sum(t in vocab.index for row in held for t in row) / sum(len(row) for row in held)
    assert known >= 0.8
    assert all(any(t in vocab.index for t in row) for row in held)


def test_vocabulary_ignores_held_out_sentences_and_rare_tokens():
    S = ds.Sentence
    rows = [S("en", 1, "train", "good good day"), S("en", 0, "train", "bad day ."), S("en", 0, "heldout", "awful awful")]
    assert build_vocabulary(rows) == ["<pad>", "<unk>", "day", "good"]
    assert build_vocabulary(rows, min_count=1) == ["<pad>", "<unk>", "day", "good", ".", "bad"]


@pytest.mark.parametrize("text, lang, tokens", [
    ("Not bad!", "en", ["not", "bad", "!"]),
    ("I don't hate Mondays, it's fine.", "en", ["i", "don't", "hate", "mondays", ",", "it's", "fine", "."]),
    ("My mom's dumplings are the best.", "en", ["my", "mom's", "dumplings", "are", "the", "best", "."]),
    ("I ran 5 km", "en", ["i", "ran", "5", "km"]),
    ("今天是个好日子", "zh", ["今", "天", "是", "个", "好", "日", "子"]),
    ("房间不大，但温馨明亮", "zh", ["房", "间", "不", "大", "，", "但", "温", "馨", "明", "亮"]),
    ("学LSTM很好 玩", "zh", ["学", "lstm", "很", "好", "玩"]),
])
def test_tokenize_chinese_by_character_english_by_word(text, lang, tokens):
    assert tokenize(text, lang) == tokens


def test_tokenize_rejects_an_unknown_language():
    with pytest.raises(ValueError):
        tokenize("bonjour", "fr")


def test_loader_returns_padded_int_arrays_lengths_and_labels(sentences):
    vocab = read_vocabulary()
    data = load_sentiment("heldout")
    rows = [s for s in sentences if s.split == "heldout"]
    assert len(data) == len(rows) == data.x.shape[0]
    assert data.x.dtype == data.lengths.dtype == data.y.dtype == np.int64
    assert data.x.shape[1] == data.lengths.max()
    for i, s in enumerate(rows):
        assert data.lengths[i] == len(tokenize(s.text, s.lang))
        assert list(data.x[i, :data.lengths[i]]) == vocab.encode(s.text, s.lang)
        assert not data.x[i, data.lengths[i]:].any()  # padding is <pad> = 0
        assert data.y[i] == s.label and data.texts[i] == s.text and data.langs[i] == s.lang
    assert (data.x[:, 0] != 0).all()  # no sentence starts with padding


def test_loader_filters_by_language_and_split():
    zh = load_sentiment("train", lang="zh")
    assert set(zh.langs) == {"zh"} and len(zh) == 560 and zh.y.sum() == 280
    assert len(load_sentiment("train")) == 1120
    with pytest.raises(ValueError):
        load_sentiment("test")
    with pytest.raises(ValueError):
        load_sentiment("train", lang="fr")


def test_take_trims_padding_to_the_rows_taken():
    data = load_sentiment("train")
    short = np.argsort(data.lengths, kind="stable")[:3]
    part = data.take(short)
    assert part.x.shape == (3, data.lengths[short].max()) < data.x.shape
    assert (part.lengths == data.lengths[short]).all() and (part.x == data.x[short, :part.x.shape[1]]).all()
    assert part.texts == tuple(data.texts[i] for i in short)
    part.x[0, 0] = 999
    assert data.x[short[0], 0] != 999  # a copy


def test_encode_maps_unknown_tokens_to_unk_and_refuses_empty_sentences():
    vocab = Vocabulary(["<pad>", "<unk>", "好", "good"])
    data = encode([("好极了", "zh"), ("good", "en")], vocab)
    assert data.x.tolist() == [[2, 1, 1], [3, 0, 0]] and data.lengths.tolist() == [3, 1]
    with pytest.raises(ValueError):
        encode([("   ", "en")], vocab)
    with pytest.raises(DataError):
        Vocabulary(["good", "<pad>", "<unk>"])


@pytest.mark.parametrize("body, problem", [
    ("lang\tlabel\ttext\n", "header"),
    ("lang\tlabel\tsplit\ttext\nzh\tpos\ttrain\n", "fields"),
    ("lang\tlabel\tsplit\ttext\nzh\tgood\ttrain\t好\n", "lang, label or split"),
    ("lang\tlabel\tsplit\ttext\nfr\tpos\ttrain\tbon\n", "lang, label or split"),
    ("lang\tlabel\tsplit\ttext\nen\tpos\ttrain\t \n", "empty"),
    ("lang\tlabel\tsplit\ttext\nen\tpos\ttrain\tgood\nen\tneg\theldout\tgood\n", "line 2"),
])
def test_malformed_data_files_are_reported_with_their_line(tmp_path, body, problem):
    path = tmp_path / "bad.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=problem):
        read_sentences(path)


def test_data_ships_as_package_data_with_licence_and_card():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["grader"]
    shipped = {p.name for g in globs for p in (ROOT / "grader").glob(g)}
    assert {"sentiment.tsv", "vocab.txt", "LICENSE", "DATA_CARD.md"} <= shipped
    assert "MIT" in (ds.DATA_DIR / "LICENSE").read_text(encoding="utf-8")
    card = (ds.DATA_DIR / "DATA_CARD.md").read_text(encoding="utf-8")
    for topic in ("How it was written", "Size, balance, split", "Tokenisation", "Known limits"):
        assert topic in card
    text = ds.DATA_FILE.read_bytes()
    assert text.endswith(b"\n") and b"\r" not in text
