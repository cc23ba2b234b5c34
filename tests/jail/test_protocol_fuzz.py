"""Fuzzing the scorer's side of the wire: whatever a worker sends, the scorer raises ProtocolError
(or a StudentFault, one level up) and builds nothing but the whitelisted types, with strings any
report can encode (issue 10: item 3 and the decoder fuzz test)."""

from __future__ import annotations

import base64
import json
import math
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from grader.errors import StudentError, StudentFault, clean_text
from grader.jail import protocol
from grader.jail.protocol import HandleInfo, ProtocolError
from grader.jail.sandbox import Limits
from grader.jail.session import WorkerConnection

FUZZ = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])

NUMPY_DTYPES = set(protocol._NUMPY_DTYPES)
TORCH_DTYPES = set(protocol._torch_dtypes().values())


class Handle:
    def __init__(self, info: HandleInfo) -> None:
        self.info = info


class Ref:
    def __init__(self, ref: int) -> None:
        self.ref = ref


# -- strategies ------------------------------------------------------------------------------------

LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc80b", "\udbff\u00e9", "x\ud83d"])
texts = st.one_of(st.text(max_size=20), LONE_SURROGATES,
                  st.sampled_from(["$tensor", "$ndarray", "$dict", "$tuple", "$float", "nan", "float32",
                                   "bfloat16", "object", "AAAA", "=", ""]))
numbers = st.one_of(st.integers(-2**70, 2**70), st.integers(-3, 40), st.floats(allow_nan=True),
                    st.sampled_from([0, -1, 2**63, 10**30]))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
dtypes = st.one_of(st.sampled_from(sorted(NUMPY_DTYPES | {"bfloat16"})), texts, numbers, st.none())
shapes = st.one_of(st.lists(st.one_of(st.integers(-2, 6), st.sampled_from([0, 2**40, 2**62, True])), max_size=4),
                   st.lists(st.just(0), min_size=1, max_size=3).map(lambda s: s + [2**62, 2**62]), scalars)


def array_body(draw_data: st.SearchStrategy) -> st.SearchStrategy:
    raw = st.binary(max_size=48).map(lambda b: base64.b64encode(b).decode())
    return st.fixed_dictionaries({"dtype": dtypes, "shape": shapes},
                                 optional={"data": st.one_of(raw, texts, numbers),
                                           "requires_grad": draw_data, "junk": draw_data})


def json_values() -> st.SearchStrategy:
    def tagged(children: st.SearchStrategy) -> st.SearchStrategy:
        pairs = st.lists(st.one_of(st.tuples(children, children).map(list), children), max_size=4)
        return st.one_of(
            st.builds(lambda v: {"$tuple": v}, st.one_of(st.lists(children, max_size=4), children)),
            st.builds(lambda v: {"$dict": v}, st.one_of(pairs, children)),
            st.builds(lambda v: {"$float": v}, st.one_of(st.sampled_from(["nan", "inf", "-inf", "1e999"]), children)),
            st.builds(lambda v: {"$ndarray": v}, st.one_of(array_body(children), children)),
            st.builds(lambda v: {"$npscalar": v}, st.one_of(array_body(children), children)),
            st.builds(lambda v: {"$tensor": v}, st.one_of(array_body(children), children)),
            st.builds(lambda v: {"$dtype": v}, st.one_of(dtypes, children)),
            st.builds(lambda v: {"$slice": v}, st.one_of(st.lists(st.one_of(st.none(), st.integers(-5, 5), children),
                                                                  max_size=4), children)),
            st.builds(lambda v: {"$ellipsis": v}, children),
            st.builds(lambda v: {"$handle": v}, st.one_of(
                st.fixed_dictionaries({"id": st.one_of(st.integers(), children)},
                                      optional={"type": children, "repr": children, "callable": children}),
                children)),
            st.builds(lambda v: {"$ref": v}, st.one_of(st.integers(), children)),
            st.dictionaries(texts, children, max_size=3),
            st.lists(children, max_size=4),
        )

    return st.recursive(scalars, tagged, max_leaves=25)


# -- what may come out -----------------------------------------------------------------------------


def assert_whitelisted(value, depth: int = 0) -> None:
    assert depth < 200
    if value is None or value is Ellipsis or type(value) in (bool, int, float, Handle, Ref):
        return
    if type(value) is str:
        value.encode("utf-8")  # no lone surrogate
        return
    if type(value) in (list, tuple):
        for item in value:
            assert_whitelisted(item, depth + 1)
        return
    if type(value) is dict:
        for key, item in value.items():
            assert_whitelisted(key, depth + 1)
            assert_whitelisted(item, depth + 1)
        return
    if type(value) is slice:
        assert all(p is None or type(p) is int for p in (value.start, value.stop, value.step))
        return
    if type(value) is np.ndarray or isinstance(value, np.generic):
        assert value.dtype.name in NUMPY_DTYPES and value.dtype != object
        return
    if type(value) is torch.Tensor:
        assert value.dtype in TORCH_DTYPES
        return
    if isinstance(value, torch.dtype):
        assert value in TORCH_DTYPES
        return
    if isinstance(value, HandleInfo):
        return
    raise AssertionError(f"decode built a {type(value).__name__}")


def decode(data):
    return protocol.decode(data, from_ref=Ref, make_handle=Handle)


# -- the decoder -----------------------------------------------------------------------------------


@FUZZ
@given(json_values())
def test_random_values_decode_to_whitelisted_types_or_a_protocol_error(data):
    try:
        value = decode(data)
    except ProtocolError:
        return
    assert_whitelisted(value)


@FUZZ
@given(json_values())
def test_random_values_through_a_frame(data):
    """The same values as a worker would send them: JSON text in a frame, read by recv_frame."""
    try:
        payload = json.dumps({"seq": 1, "ok": data}).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        payload = json.dumps({"seq": 1, "ok": data}, ensure_ascii=True).encode("ascii")
    try:
        frame = protocol.parse_frame(payload)
        assert_whitelisted(frame)  # every string of the frame already clean
        value = decode(frame["ok"])
    except ProtocolError:
        return
    assert_whitelisted(value)


@FUZZ
@given(st.one_of(st.binary(max_size=200),
                 json_values().map(lambda v: json.dumps(v).encode()).flatmap(
                     lambda b: st.integers(0, max(len(b) - 1, 0)).map(lambda cut: b[:cut] + b"\xed\xa0\x80" + b[cut:])),
                 st.sampled_from([b"{", b"[]", b"null", b"\xff\xfe{\x00}\x00", b'{"a": ' + b"9" * 5000 + b"}",
                                  b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}", b'{"a": NaN}',
                                  b'{"\\ud800": "\\udfff"}'])))
def test_random_frame_bytes_raise_nothing_but_protocol_error(payload):
    left, right = socket.socketpair()
    try:
        left.sendall(protocol.HEADER.pack(len(payload)) + payload)
        try:
            frame = protocol.recv_frame(right)
        except ProtocolError:
            return
        assert isinstance(frame, dict)
        assert_whitelisted(frame)
    finally:
        left.close()
        right.close()


def test_a_truncated_frame_is_an_end_of_stream_not_a_crash():
    left, right = socket.socketpair()
    left.sendall(protocol.HEADER.pack(100) + b'{"seq": 1')
    left.close()
    with pytest.raises(EOFError):
        protocol.recv_frame(right)
    right.close()


# -- errors from the worker ------------------------------------------------------------------------


@FUZZ
@given(st.one_of(json_values(), st.dictionaries(
    st.sampled_from(["type", "message", "phase", "frames", "line", "text", "file", "other"]),
    st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(texts, scalars, max_size=2),
              st.lists(st.one_of(scalars, st.dictionaries(st.sampled_from(["file", "line", "function", "code"]),
                                                          st.one_of(scalars, st.lists(scalars, max_size=2)))),
                       max_size=10)))))
def test_any_error_a_worker_sends_becomes_a_clean_student_error(info):
    error = StudentError.from_wire(info)
    for text in (error.type_name, error.message, error.phase, error.summary(), error.where(), str(error)):
        text.encode("utf-8")
    for frame in error.frames:
        for text in (frame.file, frame.function, frame.code):
            text.encode("utf-8")
        assert frame.line is None or type(frame.line) is int
    json.dumps({"feedback": error.summary()}, ensure_ascii=False).encode("utf-8")


def test_clean_text_keeps_what_is_valid_and_replaces_lone_surrogates():
    assert clean_text("déjà vu 😀") == "déjà vu 😀"
    assert clean_text("a\ud800b\udfff") == "a\ufffdb\ufffd"
    assert clean_text(12) == "12" and clean_text("abcdef", 3) == "abc"


# -- one level up: a worker connection never lets anything but a StudentFault through --------------


@pytest.fixture(scope="module")
def stand_in():
    """A process of our own for the connection to kill: never a stranger's pid."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield process
    process.kill()
    process.wait()


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(json_values().map(lambda v: json.dumps({"seq": 1, "ok": v})),
                 json_values().map(lambda v: json.dumps({"seq": 1, "error": v})),
                 json_values().map(lambda v: json.dumps(v)),
                 st.binary(max_size=64).map(lambda b: b.decode("latin-1"))),
       st.one_of(json_values(), st.just({"applied": ["rlimits"], "skipped": []})))
def test_a_worker_connection_turns_any_reply_into_a_value_or_a_student_fault(stand_in, reply, hello):
    ours, theirs = socket.socketpair()
    try:
        for text in (json.dumps({"seq": 0, "ok": hello}), reply):  # json.dumps: NaN too, as a peer may
            body = text.encode("utf-8", "surrogatepass")
            theirs.sendall(protocol.HEADER.pack(len(body)) + body)
        pidfd = os.pidfd_open(stand_in.pid) if hasattr(os, "pidfd_open") else None
        try:
            connection = WorkerConnection(ours, stand_in.pid, pidfd, Limits(call_timeout=2))
        except StudentFault:
            return
        assert set(connection.confinement) == {"applied", "skipped"}
        try:
            value = connection.request({"op": "call"})
        except StudentFault as fault:
            str(fault).encode("utf-8")
            return
        finally:
            connection.close()
        assert_whitelisted(value)
    finally:
        ours.close()
        theirs.close()


def test_nan_and_huge_numbers_are_plain_floats_and_ints():
    frame = protocol.parse_frame(b'{"ok": [NaN, Infinity, 1e999, 123456789012345678901234567890]}')
    value = decode(frame["ok"])
    assert math.isnan(value[0]) and value[1] == math.inf and value[2] == math.inf
    assert value[3] == 123456789012345678901234567890
