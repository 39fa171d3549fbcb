"""Stable ids (pure): the one hash every id of kfault is made with.

32-bit FNV-1a, the same function as kunit/kfault/site.c's kfault_fnv(), so
that an id computed here (a point swept from user space) and one computed
in the kernel (an op or suite sweep) are of one kind: eight hex digits of
the same hash.  The test vectors are those of kfault_lib's own KUnit test.
"""
from __future__ import annotations

FNV_SEED = 2166136261
FNV_PRIME = 16777619


def fnv(data: bytes, h: int = FNV_SEED) -> int:
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def stable_id(*parts: str) -> str:
    """The id of a key made of parts (joined by '|'), as the kernel prints one."""
    return f"{fnv('|'.join(parts).encode()):08x}"
