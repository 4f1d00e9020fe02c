"""Which characters of a reading to highlight, shared by the list delegate and the text box."""

from __future__ import annotations

from unitext_app.document import TextRegion


def low_confidence_spans(region: TextRegion, threshold: float) -> list[tuple[int, int]]:
    """(start, length) runs of machine-read characters below ``threshold``.

    Only while the text shown is the machine reading: once corrected, a person vouched for
    every character. Skipped when the confidences do not line up with the characters.
    """
    if region.is_corrected or not region.machine_text:
        return []
    text, confs = region.machine_text, region.char_confidences
    if len(confs) != len(text):
        return []
    spans: list[tuple[int, int]] = []
    start = None
    for i, c in enumerate(confs):
        if c < threshold and start is None:
            start = i
        elif c >= threshold and start is not None:
            spans.append((start, i - start))
            start = None
    if start is not None:
        spans.append((start, len(confs) - start))
    return spans


def confidence_label(region: TextRegion) -> str:
    if region.confidence is None:
        return ""
    return f"{round(100 * region.confidence)}%"
