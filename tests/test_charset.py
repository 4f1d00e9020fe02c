from __future__ import annotations

import pytest

from engine.charset import EOS_INDEX, Charset, UnknownCharacters


def test_round_trip_with_accents_and_punctuation() -> None:
    cs = Charset()
    text = "Ceci est mon testament : «J’institue» — 12,50 €; Straße, niño, œuvre."
    assert cs.decode(cs.encode(text)) == text
    assert EOS_INDEX not in cs.encode(text)


def test_normalisation_is_explicit() -> None:
    cs = Charset()
    assert cs.encode("e\u0301") == cs.encode("é")  # NFC
    assert cs.normalize("a\u00a0b   c") == "a b c"
    assert cs.normalize("ſ") == "s"


def test_unknown_characters_are_reported_not_dropped() -> None:
    cs = Charset()
    with pytest.raises(UnknownCharacters) as err:
        cs.encode("abc ᷤ \uf1ac ᷤ")
    assert err.value.unknown == ("ᷤ", "\uf1ac")
    assert "U+1DE4" in str(err.value)


def test_decode_stops_at_end_token_and_indices_are_stable() -> None:
    cs = Charset("abc")
    assert cs.num_classes == 4 and cs.start_index == 4
    assert cs.decode([1, 2, EOS_INDEX, 3]) == "ab"
    with pytest.raises(ValueError):
        Charset("aa")
