"""The wire format: what the scorer accepts from a worker, and what it refuses."""

import json
import math
import socket

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from grader.jail import protocol
from grader.jail.protocol import ProtocolError


def roundtrip(value):
    return protocol.decode(json.loads(json.dumps(protocol.encode(value), allow_nan=False)))


@settings(deadline=None)
@given(arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
              st.tuples(st.integers(0, 4), st.integers(0, 4))))
def test_arrays_and_tensors_survive_the_wire(array):
    back = roundtrip(array)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    tensor = torch.from_numpy(array.copy())
    tback = roundtrip(tensor)
    assert tback.dtype == tensor.dtype
    torch.testing.assert_close(tback, tensor, rtol=0, atol=0, equal_nan=True)  # NaN survives too


def test_containers_keep_their_kind():
    value = {"a": (1, 2.5, None), 3: [True, "x"], (1, 2): {"n": float("nan")}}
    back = roundtrip(value)
    assert back["a"] == (1, 2.5, None) and back[3] == [True, "x"]
    assert math.isnan(back[(1, 2)]["n"])


def test_tensor_subclass_and_grad_are_sent_as_plain_values():
    leaf = torch.ones(2, requires_grad=True)
    back = roundtrip(leaf * 2)
    assert type(back) is torch.Tensor and not back.requires_grad
    assert torch.equal(back, torch.full((2,), 2.0))


@pytest.mark.parametrize("bad", [
    {"$pickle": "gASVAAAA"},
    {"$tensor": {"dtype": "object", "shape": [1], "data": ""}},
    {"$ndarray": {"dtype": "float64", "shape": [10], "data": "AAAA"}},  # size mismatch
    {"$ndarray": {"dtype": "float64", "shape": [-1], "data": ""}},
    {"$handle": {"id": 1}},  # handles only where the session allows them
    {"a": 1, "b": 2},
    {"$float": "1e308*10"},
])
def test_decoder_refuses_anything_else(bad):
    with pytest.raises(ProtocolError):
        protocol.decode(bad)


def test_frames_over_the_limit_are_refused_before_reading():
    left, right = socket.socketpair()
    left.sendall(protocol.HEADER.pack(10**12))
    with pytest.raises(ProtocolError):
        protocol.recv_frame(right, max_bytes=1024)
    left.close()
    right.close()


def test_unencodable_objects_become_handles_only_on_the_worker_side():
    class Thing:
        pass

    with pytest.raises(TypeError):
        protocol.encode(Thing())
    encoded = protocol.encode(Thing(), to_handle=lambda obj: {"id": 7, "type": "Thing", "repr": "", "callable": False})
    assert encoded == {"$handle": {"id": 7, "type": "Thing", "repr": "", "callable": False}}
