"""Freed memory goes back to the system, so a backfill's footprint is a day's, not its largest.

glibc's allocator raises its threshold for serving large blocks from separate mappings each time
such a block is freed (up to 32 MB). After the first large file or bundle, every later one is
carved from the heaps of the threads that touched it, and freed heap memory in the middle of a
heap is kept: a whole-history export grew to 240 MB where its days need 170 MB. Fixing the
threshold at glibc's own default (128 KiB) keeps large blocks in mappings that are returned
when freed. musl (the Docker image) and other allocators need nothing.
"""

from __future__ import annotations

import ctypes
import platform

_M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_THRESHOLD = 128 * 1024


def return_freed_memory() -> bool:
    """Whether glibc's threshold was fixed (False where the allocator is not glibc's)."""
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        return bool(ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _THRESHOLD))
    except (OSError, AttributeError):
        return False
