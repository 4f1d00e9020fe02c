"""The character set shared by teachers and student, and the text <-> index codec.

Index layout of the classifier output: 0 is the end-of-sequence token, 1..N are characters.
The decoder's input embedding adds one more row, the start token (index N + 1), so a
character keeps the same index in the output and the input.

Labels are Unicode-normalised (NFC) and passed through a small explicit mapping table
(``CHAR_MAPPING``) before encoding. Anything still outside the charset is never dropped
silently: :meth:`Charset.encode` raises :class:`UnknownCharacters` naming them, and the
training loaders count and report skipped samples.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EOS_INDEX = 0

PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))
# Latin-1 letters and signs used in English, French, German, Spanish, Italian and Latin texts.
LATIN_1 = "¡£§°«»¿ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿ¬¶·"
LATIN_EXTENDED = "ŒœŸĀāĒēĪīŌōŪūĘęŁłŠšŽžĆćĐđĩũẽ"
TYPOGRAPHIC = "‘’‚“”„–—…•€†‡‸⁋→≈ħ®©™×÷¢¥∞"
# Medieval Latin abbreviation signs (MUFI) and the combining marks manuscripts use above
# letters (tilde, macron, superscript letters), so Latin transcriptions can be read as written.
MEDIEVAL = "⁊ꝑꝓꝗꝙꝯꝰꝝꝫꝭꝵ" + "".join(chr(c) for c in (
    0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0306, 0x0307, 0x0308, 0x033E,
    *range(0x0363, 0x0370)))
DEFAULT_CHARACTERS = PRINTABLE_ASCII + LATIN_1 + LATIN_EXTENDED + TYPOGRAPHIC + MEDIEVAL

# Characters the charset does not hold but that have a faithful reading inside it.
CHAR_MAPPING: dict[str, str] = {
    "\u00a0": " ",  # no-break space
    "\u2009": " ",
    "\u202f": " ",
    "\u017f": "s",  # long s
    "\u2212": "-",  # minus sign
    "\u2010": "-",
    "\u2011": "-",
    "\u00b4": "'",  # acute accent used as an apostrophe
    "\u2032": "'",
    "\u02bc": "'",
}


class UnknownCharacters(ValueError):
    """A label holds characters the charset cannot represent."""

    def __init__(self, text: str, unknown: Sequence[str]):
        self.text = text
        self.unknown = tuple(dict.fromkeys(unknown))
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in self.unknown)
        super().__init__(f"characters outside the charset: {shown}")


@dataclass(frozen=True)
class Charset:
    """An ordered set of characters; its order defines the model's class indices."""

    characters: str = DEFAULT_CHARACTERS

    def __post_init__(self) -> None:
        if len(set(self.characters)) != len(self.characters):
            raise ValueError("charset has duplicate characters")
        if not self.characters:
            raise ValueError("charset is empty")
        object.__setattr__(self, "_index", {c: i + 1 for i, c in enumerate(self.characters)})

    @property
    def num_classes(self) -> int:
        """Classifier outputs: the characters plus the end token."""
        return len(self.characters) + 1

    @property
    def start_index(self) -> int:
        """Decoder input index of the start token (not an output class)."""
        return len(self.characters) + 1

    def normalize(self, text: str) -> str:
        """NFC, then the explicit mapping table, then whitespace collapsed."""
        text = unicodedata.normalize("NFC", text)
        text = "".join(CHAR_MAPPING.get(c, c) for c in text)
        return " ".join(text.split())

    def unknown_characters(self, text: str) -> list[str]:
        index = self._index  # type: ignore[attr-defined]
        return [c for c in self.normalize(text) if c not in index]

    def encode(self, text: str) -> list[int]:
        """Indices of ``text`` (normalised); raises :class:`UnknownCharacters`."""
        text = self.normalize(text)
        index = self._index  # type: ignore[attr-defined]
        unknown = [c for c in text if c not in index]
        if unknown:
            raise UnknownCharacters(text, unknown)
        return [index[c] for c in text]

    def decode(self, indices: Iterable[int]) -> str:
        """Characters up to (not including) the first end token."""
        out = []
        for i in indices:
            i = int(i)
            if i == EOS_INDEX:
                break
            if 1 <= i <= len(self.characters):
                out.append(self.characters[i - 1])
        return "".join(out)

    def __contains__(self, char: str) -> bool:
        return char in self._index  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.characters)
