"""Keeps resident memory down on a CPU: heap trimming between phases, a bounded oneDNN cache.

Heap: on a CPU, PyTorch takes tensor memory from malloc. glibc keeps freed chunks below its mmap
threshold inside the heap, so what sampling freed stays resident while the update allocates
its activations elsewhere: peak RSS becomes the sum of the two phases' leftovers instead of the
larger of them. `malloc_trim(0)` returns the free pages; it takes milliseconds. Elsewhere
(macOS, musl, Windows) this is a no-op.

oneDNN (bf16 matmuls on CPU): it caches a compiled primitive, with its buffers, per distinct
shape, up to 1024 of them. Prompt lengths differ every batch, so the cache, and RSS, grows
step after step (about +100 MB a step on the benchmark workload, 1.98 GB after 5 steps; 1.61 GB
with 8 entries, at the same speed). The engine caps it at 64 unless the user set
ONEDNN_PRIMITIVE_CACHE_CAPACITY.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

ONEDNN_CACHE_CAPACITY = "64"


def bound_onednn_cache() -> None:
    """Caps oneDNN's primitive cache unless the user set it; takes effect if no oneDNN op ran yet."""
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", ONEDNN_CACHE_CAPACITY)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def trim_heap() -> bool:
    """Returns freed heap pages to the OS; True if the C library can do so (glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


bound_onednn_cache()  # on import: the engine is imported before its first matmul
