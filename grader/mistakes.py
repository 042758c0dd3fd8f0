"""The named mistakes of the course: a closed vocabulary.

Code names a mistake by its member (``Mistake.IN_PLACE``), never by a bare number;
the value is the stable id that results.json, the gradebook and the report carry.
The catalogue that describes each one is ``grader/mistakes.md`` (number, short name,
how it shows, how it is probed); its texts for students are ``mistake.<id>.name`` and
``mistake.<id>.found`` in ``grader/i18n/messages/mistakes.toml``. A test checks that
the three agree.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

CATALOGUE = Path(__file__).with_name("mistakes.md")


class Mistake(StrEnum):
    """A mistake of the catalogue; the value is its number."""

    LSTM_CANDIDATE_SIGMOID = "1"
    LSTM_GATE_ORDER = "2"
    LSTM_NO_DH_INTO_DC = "3"
    LSTM_DPREV_C_WITHOUT_F = "4"
    LSTM_TANH_OF_WRONG_CELL = "5"
    WRONG_DERIVATIVE_INPUT = "6"
    BPTT_NOT_CARRIED = "7"
    BPTT_TIME_ORDER = "8"
    INITIAL_STATE_REUSED = "9"
    IN_PLACE = "10"
    GRU_INTERPOLATION_REVERSED = "11"
    GRU_RESET_BEFORE_PRODUCT = "12"
    BIRNN_DIRECTIONS = "13"
    STACKED_SLICES_SWAPPED = "14"
    CLIP_PER_ELEMENT = "15"
    CLIP_PER_TENSOR = "16"
    CLIP_ALWAYS = "17"
    INIT_FAN_OUT = "18"
    INIT_CONSTANT = "19"
    L2_INCONSISTENT = "20"
    DIVIDED_BY_N_TWICE = "21"
    OVERFLOW = "22"
    BN_UNBIASED_VARIANCE = "23"
    BN_EPS_MISPLACED = "24"
    KEEPDIMS_SHAPE = "25"
    BN_TEST_WITHOUT_AFFINE = "26"
    BN_MOMENTUM_REVERSED = "27"
    CACHE_LAYOUT_MISMATCH = "28"
    WRONG_AXIS_OR_RESHAPE = "29"
    RESIDUAL_NO_IDENTITY = "30"
    LOW_PRECISION = "31"
    BIAS_MISSING = "32"
    WEIGHT_TRANSPOSED = "33"
    WRONG_REDUCTION_AXIS = "34"
    MEAN_INSTEAD_OF_SUM = "35"
    LOSS_GRADIENT_NOT_AVERAGED = "36"
    EMBEDDING_NO_ADD_AT = "37"
    HEAD_READS_PADDING = "38"
    HEAD_MEAN_OVER_PADDING = "39"
    EMBEDDINGS_NOT_UPDATED = "40"
    CLIPPING_IGNORED = "41"
