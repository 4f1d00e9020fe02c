"""Which characters a model gets wrong, and as what: the character confusions of an evaluation.

Each reference/prediction pair is aligned by a minimum edit-distance path (the same edits the
CER counts) and every edit is tallied as ``(reference char, predicted char)``: a substitution
``('e', 'c')``, a deletion ``('e', '')`` (the model dropped it) or an insertion ``('', 'e')``
(the model invented it). The most frequent ones say what the next model should see more of.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from .metrics import collapse_ws

Edit = tuple[str, str]  # (reference char or "", predicted char or "")


def align_edits(reference: str, hypothesis: str) -> list[Edit]:
    """The edits of one minimum edit-distance alignment, in reading order. Ties prefer a
    substitution, then a deletion, so a wrong character counts as one confusion, not two."""
    ref, hyp = reference, hypothesis  # short names for the table below
    rows, cols = len(ref) + 1, len(hyp) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]),
                             cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    edits: list[Edit] = []
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            if ref[i - 1] != hyp[j - 1]:
                edits.append((ref[i - 1], hyp[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            edits.append((ref[i - 1], ""))
            i -= 1
        else:
            edits.append(("", hyp[j - 1]))
            j -= 1
    edits.reverse()
    return edits


def count_confusions(pairs: Iterable[tuple[str, str]]) -> Counter[Edit]:
    """Edits over (reference, prediction) pairs, whitespace collapsed as the CER does."""
    counts: Counter[Edit] = Counter()
    for reference, hypothesis in pairs:
        counts.update(align_edits(collapse_ws(reference), collapse_ws(hypothesis)))
    return counts


def _show(char: str) -> str:
    if char == "":
        return "(none)"
    if char == " ":
        return "(space)"
    return f"`{char}`" if char != "`" else "backtick"


def format_confusions(title: str, counts: Counter[Edit], top: int) -> str:
    """A Markdown table of the ``top`` most frequent edits with their share of all edits."""
    total = sum(counts.values())
    if not total:
        return f"### {title}: no character edits\n"
    kinds: Counter[str] = Counter()
    for (ref, hyp), n in counts.items():
        kinds["substitution" if ref and hyp else "deletion" if ref else "insertion"] += n
    lines = [f"### {title}: {total} character edits "
             f"({kinds['substitution']} substituted, {kinds['deletion']} dropped, "
             f"{kinds['insertion']} inserted)", "",
             "| reference | read as | count | share of edits |", "|---|---|---|---|"]
    for (ref, hyp), n in counts.most_common(top):
        lines.append(f"| {_show(ref)} | {_show(hyp)} | {n} | {n / total:.1%} |")
    return "\n".join(lines) + "\n"


def confusions_report(results: Sequence, top: int = 15) -> str:
    """Per domain (pooled over its sets), for ``SetResult``s of :mod:`training.evaluate`."""
    by_domain: dict[str, Counter[Edit]] = {}
    for result in results:
        counts = by_domain.setdefault(result.domain, Counter())
        counts.update(count_confusions((ref, hyp) for _, ref, hyp, _ in result.predictions))
    return "\n".join(format_confusions(f"{domain} sets", counts, top)
                     for domain, counts in sorted(by_domain.items()))
