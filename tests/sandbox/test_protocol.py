"""Strict decoding: malformed or hostile messages raise ProtocolError and nothing else."""

from __future__ import annotations

import contextlib
import json
import random
import socket
import struct
import threading
import time

import numpy as np
import pytest

from grader.sandbox import protocol
from grader.sandbox.protocol import ProtocolError, Ref, decode, encode, pack, unpack


def _roundtrip(value):
    tree, blobs = encode(value)
    header, out = unpack(pack({"v": tree}, blobs)[4:])
    return decode(header["v"], out, refs=False)


def test_plain_data_roundtrips_exactly():
    value = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "p": 0.5, "mode": "train",
             "n": (1, [2, None]), "nan": float("nan")}
    out = _roundtrip(value)
    assert type(out["x"]) is np.ndarray and out["x"].dtype == np.float32 and out["x"].flags.writeable
    assert np.array_equal(out["x"], value["x"]) and out["n"] == (1, [2, None]) and np.isnan(out["nan"])


@pytest.mark.parametrize("tree", [
    {"a": ["|O", [1], 0]}, {"a": ["<U4", [1], 0]}, {"a": ["<f8", [2], 0]}, {"a": ["<f8", [-1], 0]},
    {"a": ["<f8", [0, 1 << 40], 0]}, {"a": ["<f8", [1], 5]}, {"a": ["<f8", [1] * 40, 0]}, {"x": 1},
    {"t": 1}, {"d": [[1, 2]]}, {"d": [["k"]]}, [1], {"h": 3}, 1 << 70, "\ud800", {"f": "huge"},
    {"a": "f8"}, {"l": [1], "t": [2]},
])
def test_hostile_trees_are_refused(tree):
    with pytest.raises(ProtocolError):
        decode(tree, [b"\0" * 8], refs=False)


def test_handles_only_where_allowed():
    assert type(decode({"h": 3}, [])) is Ref
    with pytest.raises(ProtocolError):
        decode({"l": [{"h": 3}]}, [], refs=False)


def test_deep_nesting_and_item_budget():
    deep = {"l": []}
    for _ in range(40):
        deep = {"l": [deep]}
    with pytest.raises(ProtocolError):
        decode(deep, [])
    with pytest.raises(ProtocolError):
        decode({"l": [0] * (protocol.MAX_ITEMS + 1)}, [])
    nested_json = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ProtocolError):
        unpack(struct.pack("<I", len(nested_json)) + nested_json)


def test_fuzzed_frames_raise_only_protocol_error():
    rng = random.Random(1234)
    good = pack({"ok": encode({"x": np.ones((3, 2)), "s": "é"})[0]}, encode({"x": np.ones((3, 2))})[1])[4:]
    for i in range(3000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            pos = rng.randrange(len(data) + 1)
            if op < 0.4 and data:
                data[pos % len(data)] = rng.randrange(256)
            elif op < 0.7:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
            else:
                del data[pos:pos + rng.randint(1, 6)]
        if i % 7 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        try:
            header, blobs = unpack(bytes(data))
            if type(header) is dict and "ok" in header:
                decode(header["ok"], blobs, refs=False)
            else:
                decode(header, blobs, refs=False)
        except ProtocolError:
            pass


def test_random_json_trees_raise_only_protocol_error():
    rng = random.Random(99)
    atoms = [None, True, 1, -1, 2**65, 1.5, "s", [], {}, "a", "<f8", "|O", [2, 3], {"a": 1}]

    def tree(depth):
        if depth > 4 or rng.random() < 0.3:
            return rng.choice(atoms)
        tag = rng.choice(["t", "l", "d", "a", "h", "f", "zz"])
        return {tag: [tree(depth + 1) for _ in range(rng.randint(0, 3))]}

    for _ in range(3000):
        t = tree(0)
        with contextlib.suppress(ProtocolError):
            decode(json.loads(json.dumps(t)), [b"\0" * 16, b""], refs=rng.random() < 0.5)


def test_oversized_frame_refused_before_reading_it():
    a, b = socket.socketpair()
    with a, b:
        a.sendall(struct.pack("<I", protocol.MAX_MESSAGE + 1))
        with pytest.raises(ProtocolError):
            protocol.recv(b, deadline=time.monotonic() + 1)


def test_trickling_peer_hits_the_deadline():
    a, b = socket.socketpair()

    def trickle():
        try:
            a.sendall(struct.pack("<I", 100))
            for _ in range(20):
                a.sendall(b"x")
                time.sleep(0.05)
        except OSError:
            pass

    t = threading.Thread(target=trickle)
    t.start()
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        protocol.recv(b, deadline=time.monotonic() + 0.3)
    assert time.monotonic() - start < 0.6
    t.join()
    a.close()
    b.close()
