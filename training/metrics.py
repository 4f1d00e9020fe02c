"""Recognition metrics with the scene-text benchmarks' conventions (see shared/docs/peers.md).

- exact accuracy: whole string equal after collapsing whitespace;
- case-insensitive alphanumeric accuracy ("ci"): equal after lowercasing and keeping [a-z0-9];
- CER: edit distance / reference length, summed over a set (micro-average).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def collapse_ws(text: str) -> str:
    return " ".join(text.split())


def alnum_ci(text: str) -> str:
    return _NON_ALNUM.sub("", text.lower())


@dataclass(frozen=True)
class PairScore:
    """One reading against its reference, under every convention above."""

    exact: bool
    exact_ci: bool
    edits: int
    ref_chars: int
    edits_ci: int
    ref_chars_ci: int


def score_pair(reference: str, hypothesis: str) -> PairScore:
    ref, hyp = collapse_ws(reference), collapse_ws(hypothesis)
    ref_ci, hyp_ci = alnum_ci(ref), alnum_ci(hyp)
    return PairScore(ref == hyp, ref_ci == hyp_ci, edit_distance(ref, hyp), len(ref),
                     edit_distance(ref_ci, hyp_ci), len(ref_ci))


@dataclass
class ScoreCard:
    """Accumulates predictions against references for one evaluation set."""

    n: int = 0
    exact: int = 0
    exact_ci: int = 0
    edits: int = 0
    ref_chars: int = 0
    edits_ci: int = 0
    ref_chars_ci: int = 0
    errors: list[tuple[int, str, str, int]] = field(default_factory=list)  # (i, ref, hyp, dist)

    def add(self, reference: str, hypothesis: str) -> int:
        score = score_pair(reference, hypothesis)
        self.exact += score.exact
        self.exact_ci += score.exact_ci
        self.edits += score.edits
        self.ref_chars += score.ref_chars
        self.edits_ci += score.edits_ci
        self.ref_chars_ci += score.ref_chars_ci
        if score.edits:
            self.errors.append((self.n, collapse_ws(reference), collapse_ws(hypothesis), score.edits))
        self.n += 1
        return score.edits

    def extend(self, pairs: Iterable[tuple[str, str]]) -> None:
        for ref, hyp in pairs:
            self.add(ref, hyp)

    @property
    def accuracy(self) -> float:
        return self.exact / self.n if self.n else 0.0

    @property
    def accuracy_ci(self) -> float:
        return self.exact_ci / self.n if self.n else 0.0

    @property
    def cer(self) -> float:
        return self.edits / max(self.ref_chars, 1)

    @property
    def cer_ci(self) -> float:
        return self.edits_ci / max(self.ref_chars_ci, 1)

    def merge(self, other: "ScoreCard") -> "ScoreCard":
        """Pooled card (counts summed), e.g. for a domain average over sets."""
        return ScoreCard(self.n + other.n, self.exact + other.exact,
                         self.exact_ci + other.exact_ci, self.edits + other.edits,
                         self.ref_chars + other.ref_chars, self.edits_ci + other.edits_ci,
                         self.ref_chars_ci + other.ref_chars_ci)

    def summary(self) -> dict[str, float]:
        return {"n": self.n, "acc": self.accuracy, "acc_ci": self.accuracy_ci,
                "cer": self.cer, "cer_ci": self.cer_ci}
