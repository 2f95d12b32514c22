"""Choosing a status list index for a new credential (BSL §2.1: assign them at random)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable


def random_free_index(
    is_used: Callable[[int], bool],
    length: int,
    rng: secrets.SystemRandom | random.Random | None = None,
    max_tries: int = 64,
) -> int | None:
    """A uniformly random index in [0, length) for which `is_used` is False, or None.

    Sequential indexes would reveal the order and number of issuances (BSL §2.1), so up
    to `max_tries` random picks come first. If they all hit used slots (a nearly full
    list), a scan from a random start, wrapping around, still finds the last free slot;
    None means the list is full.

    `is_used` must answer "already allocated", which is not "bit set": an allocated,
    unrevoked credential's bit is 0. The scan calls it up to `length` times.
    """
    if length < 0:
        raise ValueError(f"length must not be negative, got {length}")
    if length == 0:
        return None
    chooser = rng if rng is not None else secrets.SystemRandom()
    for _ in range(max_tries):
        candidate = chooser.randrange(length)
        if not is_used(candidate):
            return candidate
    start = chooser.randrange(length)
    for offset in range(length):
        candidate = (start + offset) % length
        if not is_used(candidate):
            return candidate
    return None
