"""Reading-order edits as pure functions on id lists (for drag-and-drop and move up/down)."""

from __future__ import annotations


def move_to(order: list[str], moving: list[str], row: int) -> list[str]:
    """Move ``moving`` (kept in their current relative order) to sit before ``order[row]``;
    ``row == len(order)`` moves them to the end."""
    moving_set = set(moving)
    block = [i for i in order if i in moving_set]
    before = sum(1 for i in order[:max(0, row)] if i not in moving_set)
    rest = [i for i in order if i not in moving_set]
    return rest[:before] + block + rest[before:]


def shift(order: list[str], moving: list[str], delta: int) -> list[str]:
    """Move each selected id one step up (delta=-1) or down (+1); a block at the edge stays."""
    moving_set = set(moving)
    out = list(order)
    indices = range(len(out)) if delta < 0 else range(len(out) - 1, -1, -1)
    for i in indices:
        j = i + delta
        if out[i] in moving_set and 0 <= j < len(out) and out[j] not in moving_set:
            out[i], out[j] = out[j], out[i]
    return out
