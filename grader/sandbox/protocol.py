"""The wire format between the judge and the child: plain data only, no pickle.

A message is ``[u32 length][u32 header length][header JSON][blob][blob]...``.
Values in the header are JSON scalars (None, bool, int, float, str) or one-key
tagged objects: ``{"t": [...]}`` tuple, ``{"l": [...]}`` list, ``{"d": [[k, v],
...]}`` dict with str keys, ``{"a": [dtype, shape, blob_index]}`` ndarray,
``{"h": id}`` handle. The judge decodes with :func:`decode`, which builds only
exact built-in types and plain ndarrays of whitelisted dtypes, validates every
shape against its blob, and caps sizes and depth: a hostile child can send
wrong *values*, never a hostile *object*.
"""

from __future__ import annotations

import json
import math
import socket
import struct
import time
from typing import Any

import numpy as np

MAX_MESSAGE = 256 * 1024 * 1024  # bytes; the judge refuses anything bigger
MAX_HEADER = 4 * 1024 * 1024  # the JSON part; arrays travel as blobs
MAX_BLOBS = 10_000
MAX_DEPTH = 16
MAX_ITEMS = 100_000  # containers, strings and arrays counted together
MAX_STR = 100_000
MAX_DIM = 1 << 31
MAX_NDIM = 32

# Little-endian numeric and bool dtypes only: no object, void, str, datetime.
ALLOWED_DTYPES = frozenset(
    ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16"]
)

_U32 = struct.Struct("<I")


class ProtocolError(Exception):
    """A message that is malformed, too big or not plain data."""


class Unencodable(Exception):
    """A value that cannot cross the boundary (raised on the sending side)."""

    def __init__(self, type_name: str) -> None:
        super().__init__(type_name)
        self.type_name = type_name


class Ref:
    """A handle id inside a message; the receiving side maps it to an object or a Handle."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = id


# --- encoding (both sides) --------------------------------------------------------------------

def encode(value: Any, blobs: list[bytes] | None = None) -> tuple[Any, list[bytes]]:
    """Turn plain data into a JSON-able header tree plus blobs; raises :class:`Unencodable`.

    With ``blobs``, the value's blobs are appended to that list (several values in one message).
    """
    blobs = [] if blobs is None else blobs
    return _enc(value, blobs, 0), blobs


def _enc(v: Any, blobs: list[bytes], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unencodable("a structure nested too deeply")
    t = type(v)
    if v is None or t is bool or t is int or t is str:
        return v
    if t is float:
        return _enc_float(v)
    if isinstance(v, np.generic) and t.__module__ == "numpy" and v.dtype.kind in "biufc":
        return _enc(v.item(), blobs, depth)  # numpy scalars are what ordinary numpy code returns
    if t is np.ndarray:
        return _enc_array(v, blobs)
    if t is Ref:
        return {"h": v.id}
    if t is tuple or t is list:
        return {"t" if t is tuple else "l": [_enc(x, blobs, depth + 1) for x in v]}
    if t is dict:
        if not all(type(k) is str for k in v):
            raise Unencodable("a dict with non-str keys")
        return {"d": [[k, _enc(x, blobs, depth + 1)] for k, x in v.items()]}
    raise Unencodable(_type_name(v))


def _enc_float(v: float) -> Any:
    if math.isfinite(v):
        return v
    return {"f": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}


def _enc_array(a: np.ndarray, blobs: list[bytes]) -> Any:
    dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    if dt.str not in ALLOWED_DTYPES:
        raise Unencodable(f"ndarray of dtype {a.dtype}")
    blobs.append(np.ascontiguousarray(a, dtype=dt).tobytes())
    return {"a": [dt.str, list(a.shape), len(blobs) - 1]}


def _type_name(v: Any) -> str:
    t = type(v)
    try:
        mod = t.__module__
        return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"
    except Exception:  # a hostile metaclass may raise anything
        return "object"


# --- decoding (strict; the judge relies on this) -------------------------------------------------

def decode(tree: Any, blobs: list[bytes], *, refs: bool = True) -> Any:
    """Rebuild a value from :func:`encode`'s output, accepting only plain data.

    With ``refs=False`` (what the judge uses for values it reads back) a handle
    reference is refused too: the result is plain data all the way down.
    """
    budget = [MAX_ITEMS, refs]
    return _dec(tree, blobs, 0, budget)


def _dec(v: Any, blobs: list[bytes], depth: int, budget: list[Any]) -> Any:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise ProtocolError("value too large or too deeply nested")
    t = type(v)
    if v is None or t is bool or t is float:
        return v
    if t is int:
        if not -(1 << 63) <= v < (1 << 64):
            raise ProtocolError("integer out of range")
        return v
    if t is str:
        return _dec_str(v)
    if t is not dict or len(v) != 1:
        raise ProtocolError(f"unexpected {t.__name__} in message")
    (tag, body), = v.items()
    if tag in ("t", "l") and type(body) is list:
        items = [_dec(x, blobs, depth + 1, budget) for x in body]
        return tuple(items) if tag == "t" else items
    if tag == "d" and type(body) is list:
        return _dec_dict(body, blobs, depth, budget)
    if tag == "a" and type(body) is list:
        return _dec_array(body, blobs)
    if tag == "h" and type(body) is int and budget[1]:
        return Ref(body)
    if tag == "f" and body in ("nan", "inf", "-inf"):
        return float(body)
    raise ProtocolError(f"unknown tag {tag!r}")


def _dec_str(v: str) -> str:
    if len(v) > MAX_STR:
        raise ProtocolError("string too long")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates would break every report writer downstream
        raise ProtocolError("string is not valid Unicode") from None
    return v


def _dec_dict(body: list[Any], blobs: list[bytes], depth: int, budget: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in body:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
            raise ProtocolError("malformed dict entry")
        out[_dec_str(pair[0])] = _dec(pair[1], blobs, depth + 1, budget)
    return out


def _dec_array(body: list[Any], blobs: list[bytes]) -> np.ndarray:
    if len(body) != 3:
        raise ProtocolError("malformed array header")
    dtype, shape, index = body
    if type(dtype) is not str or dtype not in ALLOWED_DTYPES:
        raise ProtocolError(f"dtype {dtype!r} not allowed")
    if type(shape) is not list or len(shape) > MAX_NDIM or not all(
            type(n) is int and 0 <= n < MAX_DIM for n in shape):
        raise ProtocolError("malformed array shape")
    if type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError("array blob index out of range")
    dt = np.dtype(dtype)
    count = math.prod(shape)
    blob = blobs[index]
    if count * dt.itemsize != len(blob) or count >= MAX_DIM:
        raise ProtocolError("array size does not match its shape")
    # A copy: writable, owns its memory, exactly np.ndarray.
    return np.frombuffer(blob, dtype=dt, count=count).reshape(shape).copy()


# --- framing ---------------------------------------------------------------------------------------

def pack(message: dict[str, Any], blobs: list[bytes]) -> bytes:
    header = json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    parts = [_U32.pack(len(header)), header]
    for b in blobs:
        parts += [_U32.pack(len(b)), b]
    body = b"".join(parts)
    return _U32.pack(len(body)) + body


def unpack(body: bytes) -> tuple[Any, list[bytes]]:
    """Split a message body into its JSON header and its blobs; raises only :class:`ProtocolError`."""
    view = memoryview(body)
    if len(view) < 4:
        raise ProtocolError("truncated header length")
    (hlen,) = _U32.unpack_from(view, 0)
    pos = 4 + hlen
    if hlen > MAX_HEADER:
        raise ProtocolError("header too long")
    if pos > len(view):
        raise ProtocolError("truncated header")
    try:
        header = json.loads(bytes(view[4:pos]), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProtocolError(f"header is not JSON: {str(exc)[:200]}") from None
    blobs: list[bytes] = []
    while pos < len(view):
        if len(blobs) >= MAX_BLOBS:
            raise ProtocolError("too many blobs")
        if pos + 4 > len(view):
            raise ProtocolError("truncated blob length")
        (n,) = _U32.unpack_from(view, pos)
        pos += 4
        if pos + n > len(view):
            raise ProtocolError("truncated blob")
        blobs.append(bytes(view[pos:pos + n]))
        pos += n
    return header, blobs


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def send(sock: socket.socket, message: dict[str, Any], blobs: list[bytes] = ()) -> None:  # type: ignore[assignment]
    sock.sendall(pack(message, list(blobs)))


def recv(sock: socket.socket, limit: int = MAX_MESSAGE, *,
         deadline: float | None = None) -> tuple[Any, list[bytes]]:
    """Read one framed message; :class:`EOFError` when the peer closed.

    With a ``deadline`` (``time.monotonic()`` seconds) the whole message must
    arrive by then, else :class:`TimeoutError`: a peer trickling one byte at a
    time cannot hold the reader longer than that.
    """
    (n,) = _U32.unpack(_recv_exact(sock, 4, deadline))
    if n > limit:
        raise ProtocolError(f"message of {n} bytes exceeds the {limit}-byte limit")
    return unpack(_recv_exact(sock, n, deadline))


def _recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("message did not arrive in time")
            sock.settimeout(left)
        chunk = sock.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        buf += chunk
    return bytes(buf)
