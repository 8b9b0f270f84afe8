"""What normalisation and conversion hand to delivery."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DayBundle:
    """A day's bundle, ready to send, and every object removed or changed on the way, by reason."""

    bundle: dict[str, Any]
    dropped: Counter[str] = field(default_factory=Counter)

    @property
    def object_count(self) -> int:
        return len(self.bundle.get("objects", []))

    @property
    def removed_count(self) -> int:
        """Upstream objects removed or merged; ``changed:`` rewrites and ``ignored:`` input
        that never became an object are counted apart."""
        return sum(n for reason, n in self.dropped.items() if ":" not in reason)
