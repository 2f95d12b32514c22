"""random_free_index: random status list index assignment (BSL §2.1)."""

from __future__ import annotations

import random

import pytest

from passport_vc.status import MIN_ENTRIES, BitstringStatusList, random_free_index


def test_picks_are_random_not_sequential() -> None:
    used: set[int] = set()
    rng = random.Random(7)
    for _ in range(50):
        index = random_free_index(used.__contains__, MIN_ENTRIES, rng)
        assert index is not None
        assert 0 <= index < MIN_ENTRIES
        assert index not in used
        used.add(index)
    assert sorted(used) != list(range(50))
    assert max(used) > MIN_ENTRIES // 2  # spread over the list


def test_same_seed_same_choices() -> None:
    def picks(seed: int) -> list[int | None]:
        rng = random.Random(seed)
        return [random_free_index(lambda _: False, MIN_ENTRIES, rng) for _ in range(5)]

    assert picks(1) == picks(1)
    assert picks(1) != picks(2)


def test_default_rng_is_the_system_one() -> None:
    index = random_free_index(lambda _: False, 10)
    assert index is not None
    assert 0 <= index < 10


def test_nearly_full_list_still_finds_the_last_free_slot() -> None:
    free = 123_456
    calls = 0

    def is_used(index: int) -> bool:
        nonlocal calls
        calls += 1
        return index != free

    assert random_free_index(is_used, MIN_ENTRIES, random.Random(3), max_tries=8) == free
    assert calls <= 8 + MIN_ENTRIES


def test_full_or_empty_list_gives_none() -> None:
    assert random_free_index(lambda _: True, 1000, random.Random(0)) is None
    assert random_free_index(lambda _: False, 0) is None
    with pytest.raises(ValueError, match="negative"):
        random_free_index(lambda _: False, -1)


def test_with_a_bitstring_as_the_allocation_record() -> None:
    # Here the bits record "allocated" (not "revoked"), as the docstring requires.
    allocated = BitstringStatusList(64, min_entries=8)
    rng = random.Random(11)
    for _ in range(64):
        index = random_free_index(lambda i: allocated.get(i) == 1, allocated.length, rng)
        assert index is not None
        allocated.set(index, 1)
    assert allocated.count_set() == 64
    assert random_free_index(lambda i: allocated.get(i) == 1, allocated.length, rng) is None
