"""Runaway guard for greedy attention decoding.

An attention decoder that loses its place on a crop can cycle over the same few characters
until a length cap stops it ("de la de la de la ...", "2915 2915 2915 ..."). Such a reading
is worth keeping up to the first copy of the loop, and worth flagging as doubtful, but the
loop itself is never text: every repeated copy counts as inserted characters.

The guard only acts where the decoder did not end the reading itself (a length cap did), or
wrote more characters than the crop has encoder positions; a reading the model ended on its
own ("hahaha", "10 10 10") is left exactly as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_LOOP_UNIT = 40  # longest repeating unit looked for, in characters
MIN_LOOP_COPIES = 3  # a tail counts as a loop from three copies on (the last may be cut short)
MIN_LOOP_CHARS = 6  # ... and from this many characters on


def ran_away(length: int, encoder_positions: int, ended_by_model: bool) -> bool:
    """Whether a greedy reading needs the guard: stopped by a cap, or longer than its crop."""
    return not ended_by_model or length > encoder_positions


def loop_free_length(indices: Sequence[int]) -> int:
    """The length of ``indices`` once a repeating tail is cut back to its first copy.

    The tail is periodic with some unit of k characters when each of its characters equals
    the one k places before it; the longest such tail (shortest unit on ties) is the loop.
    Returns ``len(indices)`` where no tail of at least MIN_LOOP_COPIES copies and
    MIN_LOOP_CHARS characters repeats.
    """
    n = len(indices)
    best_cut = n
    for unit in range(1, min(MAX_LOOP_UNIT, n // MIN_LOOP_COPIES) + 1):
        repeats = 0  # trailing characters equal to the one `unit` places before
        while repeats < n - unit and indices[n - 1 - repeats] == indices[n - 1 - repeats - unit]:
            repeats += 1
        if repeats >= (MIN_LOOP_COPIES - 1) * unit and repeats + unit >= MIN_LOOP_CHARS:
            best_cut = min(best_cut, n - repeats)
    return best_cut

