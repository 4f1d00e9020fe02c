"""Label text for the synthetic samples: real words, real sentences and realistic tokens.

Sources (all optional; a small built-in vocabulary keeps everything working without them):

- word lists from Debian ``w*`` packages in ``/usr/share/dict`` (English, French, German,
  Spanish, Italian, Portuguese, Catalan, Dutch, Danish),
- real sentences from Debian fortune packages in ``/usr/share/games/fortunes`` (English,
  German, Spanish, Italian, Brazilian Portuguese; offensive sections are not read),
- the label *text* of the real handwriting training lines (``train-hw-lines/labels.tsv``),
  a source of manuscript-style French/English/Latin lines; images are never read,
- generated tokens: numbers, prices, dates, times, phone numbers, codes, URLs, e-mails.

Every string returned is normalised with the charset and encodable by it. Word lists are
filtered by the charset once and cached (``~/.cache/unitext/text/``) as a single blob per
list, so each worker process loads them in well under a second and with little memory.
All sampling goes through a caller-supplied ``numpy.random.Generator``: the same generator
state gives the same text in any process.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.charset import Charset

from .fonts import cache_root

DICT_DIR = Path("/usr/share/dict")
FORTUNE_DIR = Path("/usr/share/games/fortunes")

# language -> word list files (first one found is used) and weight for handwriting / scene.
WORDLISTS: dict[str, tuple[tuple[str, ...], float, float]] = {
    "en": (("american-english", "british-english", "words"), 0.40, 0.62),
    "en-gb": (("british-english",), 0.06, 0.08),
    "fr": (("french",), 0.30, 0.10),
    "de": (("ngerman", "ogerman", "swiss"), 0.06, 0.06),
    "es": (("spanish",), 0.05, 0.04),
    "it": (("italian",), 0.05, 0.04),
    "pt": (("portuguese", "brazilian"), 0.03, 0.02),
    "ca": (("catalan",), 0.02, 0.01),
    "nl": (("dutch",), 0.02, 0.02),
    "da": (("danish",), 0.01, 0.01),
}
MAX_WORDS_PER_LIST = 150_000

FALLBACK_WORDS = """the of and to in is was that for it with as his on be at by this had not are but
from or have an they which one you were her all she there would their we him been has when who will
more no if out so said what up its about into than them can only other new some could time these two
may then do first any my now such like our over man me even most made after also did many before must
through back years where much your way well down should because each just those people how too little
state good very make world still own see men work long get here between both life being under never day
same another know while last might us great old year off come since against go came right used take three
letter garden plants seeds Kew specimens Herbarium friend dear yours truly London Paris street house
monsieur madame père mère enfant maison jour nuit avec pour dans sur sous mais donc jamais toujours
testament lègue femme fils fille frère sœur biens argent famille guerre soldat régiment Verdun mort vie
année mois janvier février mars avril mai juin juillet août septembre octobre novembre décembre
lundi mardi mercredi jeudi vendredi samedi dimanche écrit lettre reçu été déjà très bien merci
OPEN CLOSED EXIT STOP SALE PUSH PULL HOTEL CAFE BAR PARKING TAXI BUS ROAD STREET AVENUE BANK
Coffee Restaurant Pharmacy Bakery Market Station Centre Center Office Police Hospital Museum
""".split()
FALLBACK_SENTENCES = [
    "A day for firm decisions! Or is it?",
    "All the troubles you have will pass away very quickly.",
    "Je vous écris ces quelques lignes pour vous donner de mes nouvelles.",
    "I received your kind letter of the 12th with many thanks.",
    "Ceci est mon testament, je lègue tous mes biens à ma femme.",
    "The seeds arrived safely and have been sown in the garden at Kew.",
    "Nous sommes arrivés hier soir après une longue marche sous la pluie.",
    "Believe me, ever yours very sincerely, J. D. Hooker",
]

_MARKUP = set("^<>{}_|\\#@~")


def _cache_dir() -> Path:
    return cache_root() / "text"


def _filter_words(lines: Sequence[str], charset: Charset) -> list[str]:
    out = []
    for w in lines:
        w = w.strip()
        if not w or len(w) > 24 or " " in w:
            continue
        if w.endswith("'s") and len(w) > 3:
            continue  # possessives: too frequent in the English lists
        w = charset.normalize(w)
        if w and not charset.unknown_characters(w):
            out.append(w)
    return out


class _Blob:
    """Many short strings in one str + offsets (cheap to load, share and index)."""

    def __init__(self, items: Sequence[str]):
        self.blob = "\n".join(items)
        lens = np.fromiter((len(s) + 1 for s in items), dtype=np.int64, count=len(items))
        self.starts = np.concatenate([[0], np.cumsum(lens)])

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, i: int) -> str:
        return self.blob[self.starts[i]: self.starts[i + 1] - 1]

    def pick(self, rng: np.random.Generator) -> str:
        return self[int(rng.integers(len(self)))]


def _load_cached_list(name: str, source: Path, build, charset: Charset) -> list[str] | None:
    """Filtered list from ``source``, cached on disk keyed by the file's stamp and charset."""
    try:
        st = source.stat()
    except OSError:
        return None
    key = hashlib.sha1(f"{source}|{st.st_size}|{int(st.st_mtime)}|{charset.characters}|v2"
                       .encode()).hexdigest()[:16]
    path = _cache_dir() / f"{name}-{key}.txt"
    if path.exists():
        return path.read_text("utf-8").split("\n")
    items = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text("\n".join(items), "utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return items


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _fortune_files(root: Path) -> list[Path]:
    skip = ("ascii", "art", "banner", "off", "debian-hints", "linuxcookie", "definitions")
    out = []
    if not root.is_dir():
        return out
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "off")
        for f in sorted(files):
            p = Path(dirpath, f)
            if "." in f or p.is_symlink() or any(s in f for s in skip):
                continue
            out.append(p)
    return out


def _paragraphs(text: str) -> list[str]:
    """Fortune entries (split on ``%``) -> clean prose paragraphs."""
    out = []
    for entry in text.split("\n%"):
        lines = [ln.strip() for ln in entry.strip("%\n").split("\n")]
        prose = []
        for ln in lines:
            if not ln:
                continue
            letters = sum(c.isalpha() for c in ln)
            if letters < 0.6 * len(ln.replace(" ", "")) or re.search(r"[|_=~<>{}\\]{2,}", ln):
                prose = []
                break  # ascii art, code, tables: drop the whole entry
            prose.append(ln)
        if prose:
            out.append(" ".join(prose))
    return out


def _split_sentences(par: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?;:])\s+", par) if s]


class TextSource:
    """Samples words, lines and tokens; all deterministic in the given ``rng``."""

    def __init__(self, charset: Charset | None = None, dict_dir: Path | str = DICT_DIR,
                 fortune_dir: Path | str = FORTUNE_DIR, hw_labels: Path | str | None = None,
                 use_hw_labels: bool = True):
        self.charset = charset or Charset()
        cs = self.charset
        self.words: dict[str, _Blob] = {}
        self.weights_hw: dict[str, float] = {}
        self.weights_scene: dict[str, float] = {}
        dict_dir = Path(dict_dir)
        for lang, (files, w_hw, w_scene) in WORDLISTS.items():
            for f in files:
                src = dict_dir / f
                if src.exists():
                    def build(src=src):
                        lines = _read_text(src).split("\n")
                        if len(lines) > MAX_WORDS_PER_LIST:  # deterministic thinning
                            step = len(lines) / MAX_WORDS_PER_LIST
                            lines = [lines[int(i * step)] for i in range(MAX_WORDS_PER_LIST)]
                        return _filter_words(lines, cs)
                    items = _load_cached_list(f"dict-{lang}", src, build, cs)
                    if items:
                        self.words[lang] = _Blob(items)
                        self.weights_hw[lang] = w_hw
                        self.weights_scene[lang] = w_scene
                    break
        if not self.words:
            self.words["en"] = _Blob(_filter_words(FALLBACK_WORDS, cs))
            self.weights_hw["en"] = self.weights_scene["en"] = 1.0

        # Sentences: fortunes per language folder.
        sentences: list[str] = []
        for f in _fortune_files(Path(fortune_dir)):
            def build(f=f):
                out = []
                for par in _paragraphs(_read_text(f)):
                    par = cs.normalize(par)
                    if par and not cs.unknown_characters(par):
                        out.append(par)
                return out
            items = _load_cached_list(f"fortune-{f.parent.name}-{f.name}", f, build, cs)
            sentences += items or []
        if not sentences:
            sentences = [cs.normalize(s) for s in FALLBACK_SENTENCES]
        self.paragraphs = _Blob(sentences)

        # Real manuscript line texts (training labels, text only).
        self.hw_lines = _Blob([])
        if use_hw_labels:
            path = Path(hw_labels) if hw_labels else _default_hw_labels()
            if path is not None and path.exists():
                def build(path=path):
                    out = []
                    for ln in _read_text(path).split("\n"):
                        if "\t" not in ln:
                            continue
                        t = cs.normalize(ln.split("\t", 1)[1])
                        if (len(t) >= 2 and not cs.unknown_characters(t)
                                and not any(c in _MARKUP for c in t)):
                            out.append(t)
                    return out
                self.hw_lines = _Blob(_load_cached_list("hwlabels", path, build, cs) or [])

        # Natural-frequency words: tokens of the sentences (punctuation kept attached).
        toks: list[str] = []
        for i in range(len(self.paragraphs)):
            toks += self.paragraphs[i].split()
        for i in range(len(self.hw_lines)):
            toks += self.hw_lines[i].split()
        self.running_words = _Blob([t for t in toks if len(t) <= 24])

    def __reduce__(self):
        # The process-wide source pickles as a reference: a spawned worker rebuilds it from
        # the on-disk caches instead of receiving tens of megabytes of text.
        if self is _SOURCE:
            return (default_text_source, ())
        return super().__reduce__()

    # ---------------------------------------------------------------- primitives

    def fingerprint(self) -> str:
        h = hashlib.sha1()
        for lang in sorted(self.words):
            h.update(f"{lang}:{len(self.words[lang])}".encode())
        h.update(f"p{len(self.paragraphs)}h{len(self.hw_lines)}".encode())
        return h.hexdigest()[:12]

    def dict_word(self, rng: np.random.Generator, weights: dict[str, float]) -> str:
        langs = sorted(self.words)
        w = np.array([weights.get(lg, 0.01) for lg in langs], dtype=np.float64)
        lang = langs[int(rng.choice(len(langs), p=w / w.sum()))]
        return self.words[lang].pick(rng)

    def running_word(self, rng: np.random.Generator) -> str:
        return self.running_words.pick(rng) if len(self.running_words) else self.dict_word(
            rng, self.weights_hw)

    def ok(self, text: str) -> bool:
        return bool(text) and not self.charset.unknown_characters(text)

    # ---------------------------------------------------------------- scene text

    def scene_text(self, rng: np.random.Generator) -> str:
        """One scene 'word': a dictionary/running word or a token, in a sign's casing."""
        r = rng.random()
        if r < 0.50:
            w = self.dict_word(rng, self.weights_scene)
        elif r < 0.68:
            w = self.running_word(rng).strip("\"'()[]«»“”‘’,;")
            w = w or self.dict_word(rng, self.weights_scene)
        elif r < 0.93:
            w = realistic_token(rng)
        else:  # two short words (shop names, "NO ENTRY")
            w = (self.dict_word(rng, self.weights_scene) + " "
                 + self.dict_word(rng, self.weights_scene))
        c = rng.random()
        if c < 0.22:
            w = w.upper()
        elif c < 0.32:
            w = w.capitalize()
        elif c < 0.35:
            w = w.lower()
        if rng.random() < 0.10 and len(w) > 1:
            w += str(rng.choice(list(".:!?,-")))
        w = self.charset.normalize(w)
        if not self.ok(w) or not any(c.isalnum() for c in w):
            w = self.dict_word(rng, self.weights_scene)
        return w

    # ---------------------------------------------------------------- handwriting text

    def hw_word(self, rng: np.random.Generator) -> str:
        """A single handwritten token: word (maybe with punctuation), number or date."""
        r = rng.random()
        if r < 0.45:
            w = self.running_word(rng)
        elif r < 0.85:
            w = self.dict_word(rng, self.weights_hw)
            if rng.random() < 0.12:
                w = w.capitalize()
            if rng.random() < 0.12:
                w += str(rng.choice(list(".,;:")))
        else:
            parts = handwriting_token(rng).split(" ")
            w = parts[int(rng.integers(len(parts)))]
        w = self.charset.normalize(w)
        if " " in w:
            w = w.split(" ")[0]
        return w if self.ok(w) else self.dict_word(rng, {"en": 1.0})

    def hw_line(self, rng: np.random.Generator, max_length: int = 160) -> str:
        """Several words (2+), at most ``max_length`` characters, from real sentences mostly."""
        max_length = max(8, max_length)
        # Target length like real line crops (median ~35 chars), sometimes long.
        target = int(np.clip(rng.lognormal(np.log(34), 0.45), 10, max_length))
        r = rng.random()
        if r < 0.35 and len(self.hw_lines):
            text = self.hw_lines.pick(rng)
            # Join with the next/previous real line, or cut, towards the target length.
            while len(text) < target * 0.6 and rng.random() < 0.7:
                text += " " + self.hw_lines.pick(rng)
        elif r < 0.80:
            text = self.paragraphs.pick(rng)
        elif r < 0.95:
            n = int(rng.integers(2, 12))
            ws = [self.dict_word(rng, self.weights_hw) for _ in range(n)]
            if rng.random() < 0.3:
                ws.insert(int(rng.integers(len(ws) + 1)), handwriting_token(rng))
            text = " ".join(ws)
            if rng.random() < 0.5:
                text = text[0].upper() + text[1:] + str(rng.choice(list(".,;")))
        else:
            text = " ".join(handwriting_token(rng) for _ in range(int(rng.integers(2, 5))))
        text = self.charset.normalize(text)
        words = text.split(" ")
        if len(words) > 2:  # a window of words starting anywhere (lines break mid-sentence)
            start = int(rng.integers(0, max(1, len(words) - 2))) if rng.random() < 0.6 else 0
            out: list[str] = []
            for w in words[start:]:
                if len(" ".join(out + [w])) > target and len(out) >= 2:
                    break
                out.append(w)
            words = out
        text = " ".join(words)
        if len(text) > max_length:
            text = text[:max_length].rsplit(" ", 1)[0] if " " in text[:max_length] else \
                text[:max_length]
        if len(text.split(" ")) < 2:  # always several words
            extra = self.dict_word(rng, self.weights_hw)
            text = (text + " " + extra)[:max_length]
        text = self.charset.normalize(text)
        if not self.ok(text) or len(text.split(" ")) < 2:
            text = "the letter"[:max_length]
        return text


def _default_hw_labels() -> Path | None:
    env = os.environ.get("UNITEXT_SHARED")
    roots = [Path(env)] if env else []
    roots.append(Path(__file__).resolve().parents[3] / "shared")
    for r in roots:
        p = r / "data" / "train-hw-lines" / "labels.tsv"
        if p.exists():
            return p
    return None


# ---------------------------------------------------------------- tokens

_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
_MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
_TLDS = ["com", "org", "net", "fr", "de", "co.uk", "it", "es", "eu", "io", "info"]
_SYL = ["ka", "to", "ri", "mo", "lan", "ex", "pro", "net", "shop", "go", "sun", "best", "ma",
        "city", "tech", "café", "bio", "line", "max", "star", "web", "top", "one", "eco"]


def _num(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _name(rng: np.random.Generator) -> str:
    return "".join(rng.choice(_SYL) for _ in range(_num(rng, 1, 3)))


def realistic_token(rng: np.random.Generator) -> str:
    """Numbers, prices, dates, times, phone numbers, codes, URLs, e-mails, percentages."""
    k = int(rng.integers(16))
    if k == 0:
        return str(_num(rng, 0, 9999 if rng.random() < 0.8 else 999999))
    if k == 1:
        cur = str(rng.choice(["£", "€", "$", "", ""]))
        v = f"{_num(rng, 0, 999)}.{_num(rng, 0, 99):02d}" if rng.random() < 0.7 else str(
            _num(rng, 1, 999))
        if cur == "":
            return v.replace(".", ",") + str(rng.choice(["€", " €", "$", "p"]))
        return cur + v
    if k == 2:
        d, m, y = _num(rng, 1, 28), _num(rng, 1, 12), _num(rng, 1950, 2030)
        sep = str(rng.choice(["/", ".", "-"]))
        return f"{d:02d}{sep}{m:02d}{sep}{y if rng.random() < 0.6 else y % 100:02d}"
    if k == 3:
        return f"{_num(rng, 0, 23):02d}{rng.choice([':', '.', 'h'])}{_num(rng, 0, 59):02d}"
    if k == 4:
        if rng.random() < 0.5:
            return f"0{_num(rng, 1, 9)} {_num(rng, 10, 99)} {_num(rng, 10, 99)} " \
                   f"{_num(rng, 10, 99)} {_num(rng, 10, 99)}"
        return f"{_num(rng, 100, 999)}-{_num(rng, 100, 999)}-{_num(rng, 1000, 9999)}"
    if k == 5:
        letters = "".join(chr(65 + _num(rng, 0, 25)) for _ in range(_num(rng, 1, 3)))
        return f"{letters}{rng.choice(['-', '', ' '])}{_num(rng, 1, 9999)}"
    if k == 6:
        return f"www.{_name(rng)}.{rng.choice(_TLDS)}"
    if k == 7:
        return f"{_name(rng)}@{_name(rng)}.{rng.choice(_TLDS)}"
    if k == 8:
        return f"{_num(rng, 1, 99)}%"
    if k == 9:
        return f"{_num(rng, 1, 999)}{rng.choice(['km', 'm', 'kg', 'g', 'ml', 'L', 'cm', 'mm'])}"
    if k == 10:
        return f"#{_num(rng, 1, 999)}" if rng.random() < 0.5 else f"No.{_num(rng, 1, 99)}"
    if k == 11:
        return f"{_num(rng, 1, 24)}/7" if rng.random() < 0.3 else f"{_num(rng, 1, 999)}A"
    if k == 12:
        return f"{_name(rng).capitalize()}'s"
    if k == 13:
        return str(rng.choice(["OPEN", "SALE", "EXIT", "STOP", "Sortie", "Ausgang", "Entrée",
                               "Tel.", "Fax", "Mon-Fri", "24h", "Ltd.", "&", "P", "WC", "i"]))
    if k == 14:
        return f"{_num(rng, 1, 300)} {rng.choice(['St', 'Rd', 'Ave', 'rue', 'Str.'])}"
    return f"{_name(rng)}.{rng.choice(_TLDS)}/{_name(rng)}"


def handwriting_token(rng: np.random.Generator) -> str:
    """Numbers and dates as written in letters and registers."""
    k = int(rng.integers(8))
    if k == 0:
        return str(_num(rng, 1, 2000))
    if k == 1:
        return f"{_num(rng, 1, 31)} {rng.choice(_MONTHS_EN)} {_num(rng, 1700, 2020)}"
    if k == 2:
        return f"{_num(rng, 1, 31)} {rng.choice(_MONTHS_FR)} {_num(rng, 1700, 2020)}"
    if k == 3:
        return f"{_num(rng, 1, 31)}/{_num(rng, 1, 12)}/{_num(rng, 10, 99)}"
    if k == 4:
        return f"{_num(rng, 1, 999)}fr{_num(rng, 0, 99):02d}" if rng.random() < 0.5 else \
            f"£{_num(rng, 1, 99)}"
    if k == 5:
        return f"{_num(rng, 1, 99)}." if rng.random() < 0.5 else f"({_num(rng, 1, 20)})"
    if k == 6:
        return f"{_num(rng, 1700, 2020)}"
    return f"{_num(rng, 1, 12)}h{_num(rng, 0, 59):02d}"


_SOURCE: TextSource | None = None


def default_text_source() -> TextSource:
    """The process-wide text source (built once per process, shared by forked workers)."""
    global _SOURCE
    if _SOURCE is None:
        _SOURCE = TextSource()
    return _SOURCE
