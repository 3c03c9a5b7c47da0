"""``call_fetch``: a call and the gets/items of its result in one round trip, with the same outcomes.

The training checks make two calls per step and network; each used to be followed by a ``get``
(and a forward by an ``item``) of its own. ``call_fetch`` answers them with the call's reply. What
comes back must be exactly what the separate requests give, errors included, and nothing of a
result the caller refuses may be touched on the student's side.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox.interface import ChildDied, Handle, NotData

SOURCE = b'''
import numpy as np

class Loud:
    def __getitem__(self, i):
        print("getitem ran")
        return 1.0

def pair(x):
    return x * 2, {"x": x, "n": 3}

def loud(x):
    return Loud()

def odd(x):
    return (object(), x)

def grads(x):
    return x, x.sum(axis=0), x.mean(axis=0)
'''

FORWARD = (("get", (0,)), ("item", (1,)))
X = np.arange(6.0).reshape(2, 3)


def test_one_round_trip_brings_back_what_call_get_and_item_would(factory):
    with factory.open(SOURCE) as sb:
        before = sb.round_trips
        handle, fetched = sb.call_fetch("pair", X, fetch=FORWARD, sequence_only=True)
        assert sb.round_trips == before + 1
        assert fetched is not None and len(fetched) == 2
        assert handle.type_name == "tuple"
        np.testing.assert_array_equal(fetched[0], sb.get(handle, 0))
        cache = fetched[1]
        assert isinstance(cache, Handle) and cache.type_name == "dict"
        assert sb.get(cache, "n") == 3 and sb.get(sb.item(handle, 1), "n") == 3
        np.testing.assert_array_equal(sb.get(cache, "x"), X)


def test_a_whole_result_comes_back_whatever_its_type(factory):
    with factory.open(SOURCE) as sb:
        _, fetched = sb.call_fetch("grads", X, fetch=(("get", ()),))
        assert fetched is not None
        dx, dgamma, dbeta = fetched[0]
        np.testing.assert_array_equal(dgamma, X.sum(axis=0))


def test_sequence_only_leaves_any_other_result_untouched(factory):
    with factory.open(SOURCE) as sb:
        handle, fetched = sb.call_fetch("loud", X, fetch=FORWARD, sequence_only=True)
        assert fetched is None and handle.type_name == "layers.Loud"
        assert "getitem ran" not in sb.output()  # the student's __getitem__ never ran


def test_parts_that_are_not_data_raise_when_taken_as_a_get_would(factory):
    with factory.open(SOURCE) as sb:
        handle, fetched = sb.call_fetch("odd", X, fetch=(("get", (0,)), ("get", (1,)), ("get", (5,))),
                                        sequence_only=True)
        assert fetched is not None
        np.testing.assert_array_equal(fetched[1], X)  # an unreadable neighbour does not spoil it
        for index, separate in ((0, lambda: sb.get(handle, 0)), (2, lambda: sb.get(handle, 5))):
            with pytest.raises(NotData) as batched:
                fetched[index]
            with pytest.raises(NotData) as alone:
                separate()
            assert str(batched.value) == str(alone.value)


FORGES_THEN = b'''
import sys
_child = sys.modules["grader.sandbox.unsafe_child"]
_real = _child._call

def _forged(*args):
    reply, blobs = _real(*args)
    reply["then"] = []
    return reply, blobs

_child._call = _forged

def f(x):
    return x, x
'''


def test_a_forged_list_of_fetches_is_a_child_death_and_a_fresh_child_serves_next(factory):
    with factory.open(FORGES_THEN) as sb:
        with pytest.raises(ChildDied, match="interfered"):
            sb.call_fetch("f", X, fetch=FORWARD, sequence_only=True)
        assert sb._pid is None
        assert sb.get(sb.call("f", 2.0), 0) == 2.0
