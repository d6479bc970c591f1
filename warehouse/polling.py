"""Adaptive polling: how long to wait before polling a feed again, from what it yielded.

Media Cloud's rule: when under a third of the items a poll returns were already known,
the feed publishes faster than it is polled, so the interval halves; when over two thirds
were known, it grows by half; in between it stays. When every item is new, items may have
been missed (the feed shows only its newest few), so it drops to the floor at once. A poll
that returns nothing new at all (304, an unchanged body, an empty feed) counts as
everything known. The interval never leaves [floor, ceiling]; the feed's configured
interval is where it starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SHORTER_FACTOR = 0.5
LONGER_FACTOR = 1.5


@dataclass(frozen=True)
class IntervalDecision:
    minutes: int
    reason: str  # shown by `feeds status`


def next_interval(
    current_minutes: int, *, announced: int, new: int, floor_minutes: int, ceiling_minutes: int
) -> IntervalDecision:
    """The interval after a poll that returned ``announced`` items of which ``new`` were new."""
    known = 1.0 if announced == 0 else (announced - new) / announced
    summary = f"{new} of {announced} items new"
    if announced and new == announced and current_minutes > floor_minutes:
        # Every item is new: items may have been missed, so back to the floor at once
        # rather than halving step by step from a long quiet-time interval.
        return IntervalDecision(floor_minutes, f"{summary}: all new, back to the floor")
    if known < 1 / 3:
        minutes = max(floor_minutes, math.floor(current_minutes * SHORTER_FACTOR))
        reason = f"{summary}: shorter" + (" (floor)" if minutes == floor_minutes else "")
    elif known > 2 / 3:
        minutes = min(ceiling_minutes, math.ceil(current_minutes * LONGER_FACTOR))
        reason = f"{summary}: longer" + (" (ceiling)" if minutes == ceiling_minutes else "")
    else:
        minutes = min(ceiling_minutes, max(floor_minutes, current_minutes))
        reason = f"{summary}: kept"
    return IntervalDecision(minutes, reason)
