"""The capstone's sentiment data set: read it, tokenise it, turn it into arrays.

``data/sentiment.tsv`` holds one sentence per line (``lang, label, split, text``,
tab-separated, with a header line); ``data/vocab.txt`` the fixed vocabulary, one
token per line, built from the training split by :func:`build_vocabulary` (a test
proves the two agree). ``data/DATA_CARD.md`` says how the sentences were written.

Tokens: Chinese by character, English by word. Both are lower-cased; a run of
Latin letters or digits (with inner apostrophes: ``don't``, ``mom's``) is one
token, every other non-space character (a Chinese character, a punctuation mark)
is a token of its own. Index 0 is ``<pad>``, index 1 ``<unk>`` (a token the
vocabulary does not have).

Labels: 0 = negative (负能量), 1 = positive (正能量).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).with_name("data")
DATA_FILE = DATA_DIR / "sentiment.tsv"
VOCAB_FILE = DATA_DIR / "vocab.txt"

HEADER = ("lang", "label", "split", "text")
LANGS = ("zh", "en")
LABELS = ("neg", "pos")  # the index is the class: 0 negative, 1 positive
SPLITS = ("train", "heldout")
PAD, UNK = "<pad>", "<unk>"
MIN_COUNT = 2  # a training token seen once is <unk>: so <unk> is trained too

_WORD = r"[a-z0-9]+(?:'[a-z]+)*"
_TOKEN = {"en": re.compile(_WORD + r"|[^\sa-z0-9]"), "zh": re.compile(_WORD + r"|\S")}


class DataError(Exception):
    """The data file or the vocabulary file is malformed."""


@dataclass(frozen=True)
class Sentence:
    lang: str
    label: int  # 0 negative, 1 positive
    split: str
    text: str


def tokenize(text: str, lang: str) -> list[str]:
    """The tokens of one sentence: characters for "zh", words for "en" (see the
    module docstring). ``tokenize("Not bad!", "en") == ["not", "bad", "!"]``."""
    if lang not in _TOKEN:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    return _TOKEN[lang].findall(text.lower())


def read_sentences(path: Path | str = DATA_FILE) -> list[Sentence]:
    """Every sentence of the data file, in file order; :class:`DataError` names the
    line of anything malformed (a wrong header, field count or value, an empty or
    duplicate text)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or tuple(lines[0].split("\t")) != HEADER:
        raise DataError(f"{path}:1: the header must be {chr(9).join(HEADER)!r}")
    out: list[Sentence] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(HEADER):
            raise DataError(f"{path}:{number}: {len(fields)} fields, expected {len(HEADER)}")
        lang, label, split, text = fields
        if lang not in LANGS or label not in LABELS or split not in SPLITS:
            raise DataError(f"{path}:{number}: lang, label or split not one of {LANGS}, {LABELS}, {SPLITS}")
        if not text.strip() or text != text.strip() or not tokenize(text, lang):
            raise DataError(f"{path}:{number}: empty text or surrounding spaces")
        if text in seen:
            raise DataError(f"{path}:{number}: the same text as line {seen[text]}")
        seen[text] = number
        out.append(Sentence(lang, LABELS.index(label), split, text))
    return out


def build_vocabulary(sentences: Iterable[Sentence], min_count: int = MIN_COUNT) -> list[str]:
    """The vocabulary of the *training* sentences: ``<pad>``, ``<unk>``, then every
    token seen at least ``min_count`` times, most frequent first (ties in code point
    order). Held-out sentences never add a token."""
    counts = Counter(t for s in sentences if s.split == "train" for t in tokenize(s.text, s.lang))
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    return [PAD, UNK, *kept]


class Vocabulary:
    """Tokens by index and indices by token; unknown tokens map to ``<unk>``."""

    def __init__(self, tokens: Sequence[str]) -> None:
        if list(tokens[:2]) != [PAD, UNK] or len(set(tokens)) != len(tokens):
            raise DataError("a vocabulary starts with <pad>, <unk> and lists each token once")
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad(self) -> int:
        return 0

    @property
    def unk(self) -> int:
        return 1

    def encode(self, text: str, lang: str) -> list[int]:
        return [self.index.get(t, 1) for t in tokenize(text, lang)]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]


def read_vocabulary(path: Path | str = VOCAB_FILE) -> Vocabulary:
    return Vocabulary(Path(path).read_text(encoding="utf-8").splitlines())


def vocabulary_text(tokens: Sequence[str]) -> str:
    """The contents of ``vocab.txt`` for these tokens (rewrite it after editing the data:
    ``VOCAB_FILE.write_text(vocabulary_text(build_vocabulary(read_sentences())))``)."""
    return "".join(t + "\n" for t in tokens)


@dataclass(frozen=True)
class SentimentData:
    """Sentences as arrays. Rows are right-padded with ``<pad>`` (0) to the longest
    sentence; the real tokens of row i are ``x[i, :lengths[i]]``.

    - x: (N, T) int64 token indices
    - lengths: (N,) int64, each in [1, T]
    - y: (N,) int64 labels, 0 negative, 1 positive
    - texts, langs: (N,) the sentences and their languages, for display
    """

    x: np.ndarray
    lengths: np.ndarray
    y: np.ndarray
    texts: tuple[str, ...]
    langs: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: Sequence[int] | np.ndarray) -> SentimentData:
        """The given rows, padded only to their own longest sentence."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        t = int(lengths.max()) if len(rows) else 0
        return SentimentData(self.x[rows, :t].copy(), lengths.copy(), self.y[rows].copy(),
                             tuple(self.texts[i] for i in rows), tuple(self.langs[i] for i in rows))


def encode(sentences: Sequence[tuple[str, str]], vocab: Vocabulary,
           labels: Sequence[int] | None = None) -> SentimentData:
    """Arrays for ``(text, lang)`` pairs (labels default to 0, for unlabelled text)."""
    ids = [vocab.encode(text, lang) for text, lang in sentences]
    if any(not row for row in ids):
        raise ValueError("a sentence without tokens cannot be encoded")
    t = max((len(row) for row in ids), default=0)
    x = np.zeros((len(ids), t), dtype=np.int64)
    for i, row in enumerate(ids):
        x[i, :len(row)] = row
    y = np.zeros(len(ids), dtype=np.int64) if labels is None else np.asarray(labels, dtype=np.int64)
    return SentimentData(x, np.array([len(r) for r in ids], dtype=np.int64), y,
                         tuple(s[0] for s in sentences), tuple(s[1] for s in sentences))


def load_sentiment(split: str, lang: str | None = None, vocab: Vocabulary | None = None,
                   path: Path | str = DATA_FILE) -> SentimentData:
    """One split ("train" or "heldout") of the data set, in file order, optionally
    one language only ("zh" or "en"), encoded with the shipped vocabulary."""
    if split not in SPLITS or (lang is not None and lang not in LANGS):
        raise ValueError(f"split must be one of {SPLITS}, lang one of {LANGS} or None")
    vocab = vocab or read_vocabulary()
    rows = [s for s in read_sentences(path) if s.split == split and (lang is None or s.lang == lang)]
    return encode([(s.text, s.lang) for s in rows], vocab, [s.label for s in rows])
