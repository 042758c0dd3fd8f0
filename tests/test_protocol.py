"""The parent's decoder accepts only well-formed frames of plain numeric arrays."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from grader.sandbox.protocol import (
    FrameReader,
    Handle,
    ProtocolError,
    decode_value,
    encode_frame,
    encode_value,
)


def _frame(header: dict, payload: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack(">I", len(h)) + h + payload


def _read(data: bytes, cap: int = 1 << 20):
    reader = FrameReader(cap)
    reader.feed(data)
    return reader.take()


def test_round_trip_of_arrays_and_structures():
    arrays: list[np.ndarray] = []
    value = {"a": np.arange(6.0).reshape(2, 3), "t": (np.array(3), [1.5, "x", None])}
    wire = encode_value(value, arrays)
    frame = _read(encode_frame({"value": wire}, arrays))
    back = decode_value(frame.header["value"], frame.arrays, generation=1)
    assert np.array_equal(back["a"], value["a"]) and back["a"].shape == (2, 3)
    assert back["t"][0].shape == () and back["t"][1] == [1.5, "x", None]
    assert type(back["a"]) is np.ndarray


def test_incremental_feeding():
    arrays = [np.ones((3, 4))]
    data = encode_frame({"value": {"a": 0}}, arrays)
    reader = FrameReader(1 << 20)
    for i in range(len(data)):
        assert reader.take() is None
        reader.feed(data[i:i + 1])
    assert np.array_equal(reader.take().arrays[0], arrays[0])


@pytest.mark.parametrize("dtype", ["|O", "|V8", "<M8[s]", "<U4", "|S4", "object", "<f8,<f8", "float64"])
def test_object_structured_and_other_dtypes_are_refused(dtype):
    with pytest.raises(ProtocolError):
        _read(_frame({"arrays": [{"dtype": dtype, "shape": [1], "nbytes": 8}]}, b"\0" * 8))


def test_byte_count_must_match_shape():
    with pytest.raises(ProtocolError):
        _read(_frame({"arrays": [{"dtype": "<f8", "shape": [2, 2], "nbytes": 8}]}, b"\0" * 8))


def test_size_cap():
    with pytest.raises(ProtocolError):
        _read(_frame({"arrays": [{"dtype": "<f8", "shape": [1 << 20], "nbytes": 8 << 20}]}), cap=1 << 20)


@pytest.mark.parametrize("bad", [b"\xff\xff\xff\xff", struct.pack(">I", 5) + b"nope!", struct.pack(">I", 2) + b"[]"])
def test_garbage_headers(bad):
    with pytest.raises(ProtocolError):
        _read(bad)


def test_negative_or_huge_shapes():
    for shape in ([-1], [1 << 41], [1.5], ["3"], [1] * 9):
        with pytest.raises(ProtocolError):
            _read(_frame({"arrays": [{"dtype": "<f8", "shape": shape, "nbytes": 8}]}, b"\0" * 8))


def test_values_must_reference_real_arrays_and_not_nest_forever():
    with pytest.raises(ProtocolError):
        decode_value({"a": 3}, [], 1)
    deep: dict = {"l": []}
    for _ in range(20):
        deep = {"l": [deep]}
    with pytest.raises(ProtocolError):
        decode_value(deep, [], 1)
    with pytest.raises(ProtocolError):
        decode_value({"weird": 1}, [], 1)


def test_handles_carry_their_generation():
    h = decode_value({"h": 7, "type": "tuple"}, [], generation=3)
    assert h == Handle(7, "tuple", 3)


def test_big_endian_arrays_become_native():
    arr = np.arange(4, dtype=">f8")
    frame = _read(_frame({"arrays": [{"dtype": ">f8", "shape": [4], "nbytes": 32}]}, arr.tobytes()))
    assert frame.arrays[0].dtype.isnative and np.array_equal(frame.arrays[0], [0, 1, 2, 3])
