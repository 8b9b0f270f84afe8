"""Memos of functions of one text, bounded in size as well as in entries.

A day's texts repeat (a label, an IoC line read for its values then for its remarks, the
articles read again for every name), so remembering results pays. But upstream is untrusted
and ``functools.lru_cache`` keeps whatever it is given, for as long as the process lives: 64
hostile articles of 2 MB would stay in every worker, day after day. A text longer than
``longest`` characters is computed each time and never kept, so a memo holds at most
``maxsize`` short texts and their results.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")


def text_memo(maxsize: int, longest: int) -> Callable[[Callable[[str], T]], Callable[[str], T]]:
    """An LRU memo of ``maxsize`` results, kept only for texts of up to ``longest`` characters.
    The memo answers ``cache_info`` and ``cache_clear`` as an ``lru_cache`` does; the function
    itself stays reachable as ``__wrapped__``."""

    def decorate(function: Callable[[str], T]) -> Callable[[str], T]:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def remembered(text: str) -> T:
            return cached(text) if len(text) <= longest else function(text)

        remembered.cache_info = cached.cache_info  # type: ignore[attr-defined]
        remembered.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return remembered

    return decorate
