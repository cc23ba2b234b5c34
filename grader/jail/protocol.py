"""The wire format between the scorer and a jailed worker: framed JSON, no pickle.

A frame is an 8-byte big-endian length followed by that many bytes of UTF-8 JSON. Values travel as
JSON with tagged objects for what JSON lacks:

    {"$tuple": [...]}          {"$dict": [[key, value], ...]}      {"$float": "nan" | "inf" | "-inf"}
    {"$tensor": {...}}         {"$ndarray": {...}}                  {"$npscalar": {...}}
    {"$dtype": "float32"}      {"$slice": [start, stop, step]}      {"$ellipsis": true}
    {"$handle": {"id", "type", "repr", "callable"}}   an object that stays in the worker
    {"$ref": id}               a handle sent back to the worker as an argument

`decode` builds only those types, from whitelisted dtypes and checked sizes. Anything else in a
frame is a protocol error: `recv_frame` and `decode` raise nothing but ProtocolError on bad input
(and recv_frame EOFError / TimeoutError on the socket's own account). Every string of a frame is
made encodable once, in `recv_frame` (lone surrogates become U+FFFD, `grader.errors.clean_text`),
so that nothing a worker sends can stop the writing of a report. This module does no I/O beyond
the socket it is given.
"""

from __future__ import annotations

import base64
import json
import math
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from grader.errors import clean_text

__student_facing__ = True  # exceptions raised here are about a student's value (harness.feedback)

HEADER = struct.Struct(">Q")
MAX_FRAME_BYTES = 512 * 1024**2
MAX_DEPTH = 64
MAX_FRAME_DEPTH = 4 * MAX_DEPTH + 16  # JSON nesting of a frame: a $dict level is three JSON levels

# dtypes that may cross the wire, by name; both ends agree on these.
_NUMPY_DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "int32": np.int32,
    "int64": np.int64, "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "complex64": np.complex64, "complex128": np.complex128,
}


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame or value."""


@dataclass(frozen=True)
class HandleInfo:
    """What the scorer knows about an object that stays in the worker."""

    id: int
    type: str
    repr: str
    callable: bool


def _torch():
    import torch  # imported lazily: NumPy-only assignments need not pay for it

    return torch


def _torch_dtypes() -> dict[str, Any]:
    torch = _torch()
    return {
        "bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
        "int32": torch.int32, "int64": torch.int64, "float16": torch.float16,
        "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
        "complex64": torch.complex64, "complex128": torch.complex128,
    }


def _is_tensor(value: Any) -> bool:
    torch = sys_modules_torch()
    return torch is not None and isinstance(value, torch.Tensor)


def sys_modules_torch():
    import sys

    return sys.modules.get("torch")


# ----------------------------------------------------------------------------------------------
# encoding


def encode(value: Any, to_handle: Callable[[Any], dict] | None = None, depth: int = 0) -> Any:
    """Turn `value` into JSON-ready data. Objects of other types go through `to_handle`.

    Without `to_handle` (the scorer's side), an unsupported type raises TypeError.
    """
    if depth > MAX_DEPTH:
        raise TypeError("value nested too deeply to send")
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if type(value) is list:
        return [encode(v, to_handle, depth + 1) for v in value]
    if type(value) is tuple or _is_torch_size(value):
        return {"$tuple": [encode(v, to_handle, depth + 1) for v in value]}
    if isinstance(value, dict):   # OrderedDict (a state_dict) and other dicts arrive as plain dicts
        return {"$dict": [[encode(k, to_handle, depth + 1), encode(v, to_handle, depth + 1)]
                          for k, v in value.items()]}
    if _is_tensor(value):
        return {"$tensor": _encode_tensor(value)}
    if type(value) is np.ndarray:
        return {"$ndarray": _encode_array(value)}
    if isinstance(value, np.generic) and value.dtype.name in _NUMPY_DTYPES:
        return {"$npscalar": _encode_array(np.asarray(value))}
    if type(value) is slice:
        return {"$slice": [encode(value.start, to_handle, depth + 1), encode(value.stop, to_handle, depth + 1),
                           encode(value.step, to_handle, depth + 1)]}
    if value is Ellipsis:
        return {"$ellipsis": True}
    torch = sys_modules_torch()
    if torch is not None and isinstance(value, torch.dtype):
        return {"$dtype": str(value).replace("torch.", "")}
    if isinstance(value, HandleInfo):
        return {"$ref": value.id}
    if hasattr(value, "_grader_handle_id"):
        return {"$ref": value._grader_handle_id}
    if to_handle is not None:
        return {"$handle": to_handle(value)}
    raise TypeError(f"cannot send a {type(value).__name__} to the worker")


def _is_torch_size(value: Any) -> bool:
    torch = sys_modules_torch()
    return torch is not None and type(value) is torch.Size


def _encode_array(array: np.ndarray) -> dict:
    if array.dtype.name not in _NUMPY_DTYPES:
        raise TypeError(f"arrays of dtype {array.dtype} cannot be sent")
    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return {"dtype": array.dtype.name, "shape": list(array.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii")}


def _encode_tensor(tensor: Any) -> dict:
    torch = _torch()
    plain = tensor.detach()
    if type(plain) is not torch.Tensor:
        plain = plain.as_subclass(torch.Tensor)
    if plain.is_sparse:
        plain = plain.to_dense()
    plain = plain.resolve_conj().resolve_neg().cpu().contiguous()
    name = str(plain.dtype).replace("torch.", "")
    if name not in _torch_dtypes():
        raise TypeError(f"tensors of dtype {plain.dtype} cannot be sent")
    array = plain.view(torch.int16).numpy() if name == "bfloat16" else plain.numpy()
    raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
    return {"dtype": name, "shape": list(plain.shape), "requires_grad": bool(tensor.requires_grad),
            "data": base64.b64encode(raw).decode("ascii")}


# ----------------------------------------------------------------------------------------------
# decoding


def decode(data: Any, from_ref: Callable[[int], Any] | None = None,
           make_handle: Callable[[HandleInfo], Any] | None = None, depth: int = 0) -> Any:
    """Rebuild a value from JSON data. Only the documented tags are accepted."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, list):
        return [decode(v, from_ref, make_handle, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ProtocolError("malformed value")
    (tag, body), = data.items()
    sub = lambda v: decode(v, from_ref, make_handle, depth + 1)  # noqa: E731
    if tag == "$tuple":
        return tuple(sub(v) for v in _list(body))
    if tag == "$dict":
        out = {}
        for pair in _list(body):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ProtocolError("malformed dict entry")
            key = sub(pair[0])
            try:
                out[key] = sub(pair[1])
            except TypeError as exc:  # unhashable key
                raise ProtocolError(f"bad dict key: {exc}") from None
        return out
    if tag == "$float":
        if not isinstance(body, str) or body not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(body)
    if tag == "$ndarray":
        return _decode_array(body)
    if tag == "$npscalar":
        return _decode_array(body)[()]
    if tag == "$tensor":
        return _decode_tensor(body)
    if tag == "$slice":
        parts = [sub(v) for v in _list(body)]
        if len(parts) != 3 or not all(p is None or isinstance(p, int) for p in parts):
            raise ProtocolError("bad slice")
        return slice(*parts)
    if tag == "$ellipsis":
        return Ellipsis
    if tag == "$dtype":
        dtypes = _torch_dtypes()
        if not isinstance(body, str) or body not in dtypes:
            raise ProtocolError("bad dtype")
        return dtypes[body]
    if tag == "$handle":
        if make_handle is None or not isinstance(body, dict):
            raise ProtocolError("unexpected handle")
        kind, text = body.get("type", "?"), body.get("repr", "")
        info = HandleInfo(id=_int(body.get("id")), type=clean_text(kind if isinstance(kind, str) else "?", 200),
                          repr=clean_text(text if isinstance(text, str) else "", 2000),
                          callable=body.get("callable") is True)
        return make_handle(info)
    if tag == "$ref":
        if from_ref is None:
            raise ProtocolError("unexpected reference")
        return from_ref(_int(body))
    raise ProtocolError(f"unknown tag {clean_text(tag, 40)!r}")


def _list(body: Any) -> list:
    if not isinstance(body, list):
        raise ProtocolError("expected a list")
    return body


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError("expected an integer")
    return value


def _shape_and_bytes(body: Any, itemsize: int) -> tuple[tuple[int, ...], bytes]:
    if not isinstance(body, dict):
        raise ProtocolError("malformed array")
    shape = body.get("shape")
    if not isinstance(shape, list) or len(shape) > 32 or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise ProtocolError("bad shape")
    data = body.get("data", "")
    if not isinstance(data, str):
        raise ProtocolError("bad array data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (ValueError, TypeError):
        raise ProtocolError("bad array data") from None
    count = math.prod(shape)
    if count * itemsize != len(raw):
        raise ProtocolError("array data does not match its shape")
    return tuple(shape), raw


def _decode_array(body: Any) -> np.ndarray:
    name = body.get("dtype") if isinstance(body, dict) else None
    if not isinstance(name, str) or name not in _NUMPY_DTYPES:
        raise ProtocolError("bad array dtype")
    dtype = np.dtype(_NUMPY_DTYPES[name]).newbyteorder("<")
    shape, raw = _shape_and_bytes(body, dtype.itemsize)
    try:
        return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)
    except (ValueError, OverflowError, MemoryError) as exc:  # e.g. a 0-size shape numpy refuses
        raise ProtocolError(f"bad array shape: {type(exc).__name__}") from None


def _decode_tensor(body: Any) -> Any:
    torch = _torch()
    name = body.get("dtype") if isinstance(body, dict) else None
    dtypes = _torch_dtypes()
    if not isinstance(name, str) or name not in dtypes:
        raise ProtocolError("bad tensor dtype")
    try:
        return _build_tensor(torch, body, name)
    except (ValueError, OverflowError, RuntimeError, MemoryError) as exc:
        raise ProtocolError(f"bad tensor shape: {type(exc).__name__}") from None


def _build_tensor(torch: Any, body: dict, name: str) -> Any:
    if name == "bfloat16":
        shape, raw = _shape_and_bytes(body, 2)
        ints = np.frombuffer(raw, dtype="<i2").astype(np.int16).reshape(shape)
        tensor = torch.from_numpy(ints.copy()).view(torch.bfloat16)
    else:
        np_dtype = np.dtype(_NUMPY_DTYPES[name]).newbyteorder("<")
        shape, raw = _shape_and_bytes(body, np_dtype.itemsize)
        array = np.frombuffer(raw, dtype=np_dtype).astype(np_dtype.newbyteorder("="), copy=True)
        tensor = torch.from_numpy(array.reshape(shape))
    return tensor


# ----------------------------------------------------------------------------------------------
# framing


def send_frame(sock: socket.socket, message: dict) -> None:
    payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    sock.sendall(HEADER.pack(len(payload)) + payload)


def recv_exactly(sock: socket.socket, count: int, deadline: float | None = None) -> bytes:
    """Read `count` bytes; with a deadline (time.monotonic()), raise TimeoutError past it."""
    chunks = []
    remaining = count
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except socket.timeout:
            raise TimeoutError from None
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, max_bytes: int = MAX_FRAME_BYTES,
               deadline: float | None = None) -> dict:
    """One frame as a dict whose strings are all encodable. Raises ProtocolError for anything that
    is not a frame of JSON (EOFError / TimeoutError / OSError come from the socket itself)."""
    (length,) = HEADER.unpack(recv_exactly(sock, HEADER.size, deadline))
    if length > max_bytes:
        raise ProtocolError(f"frame of {length} bytes exceeds the {max_bytes}-byte limit")
    return parse_frame(recv_exactly(sock, length, deadline))


def parse_frame(payload: bytes) -> dict:
    """The body of a frame: JSON, an object, not nested beyond MAX_FRAME_DEPTH, strings cleaned."""
    try:
        # Strict UTF-8 (json.loads of bytes would also take UTF-16 / UTF-32, and surrogates).
        text = payload.decode("utf-8")
        message = json.loads(text)
    except (ValueError, RecursionError, MemoryError) as exc:  # bad UTF-8 or JSON, a 5,000-digit int
        raise ProtocolError(f"frame is not valid JSON: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("frame is not an object")
    # In strict UTF-8 JSON a lone surrogate can only come as an escape, \ud800 to \udfff.
    return _clean_frame(message, strings="\\ud" in text or "\\uD" in text)


def _clean_frame(message: dict, strings: bool) -> dict:
    """Walk the frame without recursion: check its depth, and (`strings`) clean every str."""
    stack: list[tuple[Any, int]] = [(message, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_FRAME_DEPTH:
            raise ProtocolError("frame nested too deeply")
        if isinstance(node, list):
            for index, item in enumerate(node):
                kind = type(item)
                if kind is str:
                    if strings:
                        node[index] = clean_text(item)
                elif kind is list or kind is dict:
                    stack.append((item, depth + 1))
        elif isinstance(node, dict):
            for key in list(node):
                item = node[key]
                kind = type(item)
                if kind is str and strings:
                    item = node[key] = clean_text(item)
                elif kind is list or kind is dict:
                    stack.append((item, depth + 1))
                if strings and not key.isascii():
                    fixed = clean_text(key)
                    if fixed != key:
                        del node[key]
                        node[fixed] = item
    return message
