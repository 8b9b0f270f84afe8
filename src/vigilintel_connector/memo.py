"""Memos of functions of texts, bounded in size as well as in entries.

A day's texts repeat (a label, an IoC line read for its values then for its remarks, the
articles read again for every name, a relationship's ends, a country), so remembering results
pays. But upstream is untrusted and ``functools.lru_cache`` keeps whatever it is given, for as
long as the process lives: 64 hostile articles of 2 MB, or 8,192 indicators with patterns of
100 kB, would stay in every worker, day after day. A call whose text arguments are longer than
``longest`` characters together is computed each time and never kept, so a memo holds at most
``maxsize`` calls on short texts and their results.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def memo(maxsize: int, longest: int) -> Callable[[F], F]:
    """An LRU memo of ``maxsize`` results, kept only for calls whose ``str`` arguments hold
    ``longest`` characters or fewer. It answers ``cache_info`` and ``cache_clear`` as an
    ``lru_cache`` does; the function itself stays reachable as ``__wrapped__``."""

    def decorate(function: F) -> F:
        cached = lru_cache(maxsize=maxsize)(function)

        @wraps(function)
        def remembered(*args: Any) -> Any:
            if len(args) == 1:  # most memos: one text, measured without a loop
                arg = args[0]
                too_long = isinstance(arg, str) and len(arg) > longest
                return function(arg) if too_long else cached(arg)
            size = 0
            for arg in args:
                if isinstance(arg, str):
                    size += len(arg)
            return cached(*args) if size <= longest else function(*args)

        remembered.cache_info = cached.cache_info  # type: ignore[attr-defined]
        remembered.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        return remembered  # type: ignore[return-value]

    return decorate
