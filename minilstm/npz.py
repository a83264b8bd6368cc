"""Reading the arrays of an ``.npz`` without ``np.load``: strict headers, every size checked first.

NumPy's own reader parses each member's header with ``ast.literal_eval``, twice
(a fifth of a millisecond a member: 50,000 members took 31 s). Here the
members' claimed sizes together are first compared with the file's, then each
``.npy`` member's header is matched against the one form NumPy writes
(``{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }``) and its
declared size against the bytes the member holds, before its array is made.
What is wrong is a :class:`BadMember` naming the member (:class:`Pickled` for
an array of Python objects, which only unpickling could read); what zipfile
cannot read raises what zipfile raises, for the caller to word.
"""
from __future__ import annotations

import math
import re
import struct
import zipfile
from typing import Any, NamedTuple

import numpy as np

MAX_MEMBERS = 4096  # arrays in one file: a 100-layer bidirectional LSTM's checkpoint with Adam's moments holds 2,401
MAX_HEADER = 10_000   # bytes of one .npy header, NumPy's own bound
MAGIC = b"\x93NUMPY"
_HEADER = re.compile(r"\{'descr': *'(?P<descr>[<>|=]?[A-Za-z]\d{0,9})', *'fortran_order': *(?P<fortran>True|False), *"
                     r"'shape': *\((?P<shape>(?:\d{1,19}, *){0,32}(?:\d{1,19})?)\),? *\} *\n?")


class BadMember(ValueError):
    """What is wrong with one member (``key``: its name without ``.npy``)."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key, self.problem = key, problem


class Pickled(BadMember):
    """A member holding Python objects (dtype object): never read, since only unpickling could."""


class Header(NamedTuple):
    """A member's declared array, its data unread."""

    shape: tuple
    dtype: np.dtype
    fortran: bool
    offset: int     # where the data starts in the member


def key(info: zipfile.ZipInfo) -> str:
    """The name ``np.savez`` gave the array (the member's name without ``.npy``)."""
    return info.filename[:-4] if info.filename.endswith(".npy") else info.filename


def members(zf: zipfile.ZipFile, file_bytes: int) -> list:
    """The archive's members, refused when there are more than :data:`MAX_MEMBERS` or they claim more bytes
    than the whole file holds (a zip bomb, or a forged directory), before any is read."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BadMember("the archive", f"has {len(infos)} members, more than a checkpoint's {MAX_MEMBERS}")
    total = 0
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:  # what np.savez_compressed writes; minilstm.save never does
            raise BadMember(key(info), "is compressed (as np.savez_compressed writes it): a checkpoint stores its "
                                       "arrays uncompressed, so save the model with minilstm.save")
        total += info.file_size
        if total > file_bytes:
            raise BadMember(key(info), f"brings the arrays' claimed size to {total} bytes, more than the whole "
                                       f"file holds ({file_bytes} bytes)")
    return infos


def read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """The member's array (a writable host copy), its header checked first: a known ``.npy`` version,
    NumPy's form, and a declared size that is the size the member holds. :func:`members` must have bounded
    the members' sizes by the file's."""
    name, raw = key(info), zf.read(info)
    if not raw.startswith(MAGIC) or len(raw) < len(MAGIC) + 4:
        raise BadMember(name, "is not a .npy array (its magic string is missing)")
    version = tuple(raw[len(MAGIC):len(MAGIC) + 2])
    if version not in ((1, 0), (2, 0)):
        raise BadMember(name, f"is a .npy file of version {version}, not 1.0 or 2.0")
    size_format = "<H" if version == (1, 0) else "<I"
    start = len(MAGIC) + 2 + struct.calcsize(size_format)
    length = struct.unpack_from(size_format, raw, len(MAGIC) + 2)[0] if len(raw) >= start else MAX_HEADER + 1
    if length > MAX_HEADER:
        raise BadMember(name, f"has a .npy header of {length} bytes, more than {MAX_HEADER}")
    head = _parsed(name, raw[start:start + length].decode("latin1"), start + length, len(raw))
    flat = np.frombuffer(raw, head.dtype, count=math.prod(head.shape), offset=head.offset)
    return flat.reshape(head.shape, order="F" if head.fortran else "C").copy()


def _parsed(name: str, text: str, offset: int, member_bytes: int) -> Header:
    """The :class:`Header` a header text declares, checked against the member's size."""
    match = _HEADER.fullmatch(text)
    if match is None:
        raise BadMember(name, f"has a .npy header NumPy does not write: {text.strip()[:80]!r}")
    try:
        dtype = np.dtype(match["descr"])
    except (TypeError, ValueError, OverflowError):
        raise BadMember(name, f"has an unknown dtype {match['descr']!r}") from None
    if dtype.hasobject:
        raise Pickled(name, "holds Python objects")
    shape = tuple(int(n) for n in match["shape"].replace(" ", "").split(",") if n)
    data_bytes = math.prod(shape) * dtype.itemsize
    if offset + data_bytes != member_bytes:
        raise BadMember(name, f"declares a {shape} {dtype} array ({data_bytes} bytes) but holds "
                              f"{member_bytes - offset} bytes")
    return Header(shape, dtype, match["fortran"] == "True", offset)
