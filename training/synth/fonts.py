"""Font discovery for the synthetic data: printed vs handwriting faces, glyph coverage, loading.

Fonts are found in the system font folders (Debian packages installed by
``training/assets/install.sh``) and in the user cache (``~/.cache/unitext/fonts``, where the
npm @fontsource faces are converted to TTF). Each face is opened once with PIL, classified as
``printed`` or ``handwriting`` by its family name (or by the folder it was converted into),
checked to draw the basic Latin letters, and its coverage of the charset is recorded: a
character counts as covered when the font's cmap maps it and the glyph draws something
(spaces excepted). Results are cached in ``~/.cache/unitext/font-coverage.json`` keyed by
path, size and mtime, so a second discovery takes milliseconds.

Fonts that draw lowercase letters as capitals or small capitals (Bebas Neue, Cinzel, ...) are
flagged ``caps_only``; generators upper-case the label for them so image and label agree.

With only DejaVu installed (CI), the printed list holds the DejaVu faces and the handwriting
list is empty; :meth:`FontLibrary.handwriting_or_fallback` then returns oblique printed faces.

Command line (used by install.sh)::

    python -m training.synth.fonts convert-npm NODE_MODULES/@fontsource OUT_DIR --handwriting id ...
    python -m training.synth.fonts summary
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from engine.charset import Charset

COVERAGE_VERSION = 6

# Family names (lower case, substring match) of handwriting / script faces.
HANDWRITING_FAMILIES = (
    "dancing script", "kaushan", "femkeklaver", "dkg", "breip", "bwht", "humor sans", "kristi",
    "joscelyn", "ecolier", "typo script", "typoscript", "rufscript", "tomson", "havana",
    "isabella", "caveat", "homemade apple", "indie flower", "kalam", "patrick hand",
    "shadows into light", "reenie beanie", "cedarville", "architects daughter",
    "gloria hallelujah", "covered by your grace", "sue ellen", "schoolbell", "handlee",
    "gochi hand", "annie use your telescope", "bad script", "marck script", "neucha",
    "pinyon script", "herr von muellerhoff", "mr de haviland", "monsieur la doulaise",
    "italianno", "tangerine", "great vibes", "parisienne", "alex brush", "allura", "sacramento",
    "satisfy", "yellowtail", "courgette", "caveat brush", "short stack", "swanky",
    "ms madi", "whisper", "corinthia", "ephesis", "the girl next door", "mansalva",
    "oooh baby", "condiment", "licorice", "rock salt", "permanent marker", "z003",
    "because we", "domestic manners", "el abogado loco", "it wasn't me", "junkyard",
    "penguin attack",
    "comic neue", "leckerli", "lobster", "cabin sketch", "pacifico",
)
# Faces that are handwriting-like but also fit scene text (signs, shop fronts).
SIGN_SCRIPT_FAMILIES = ("lobster", "leckerli", "pacifico", "kaushan", "permanent marker",
                        "comic neue", "cabin sketch", "rock salt", "yellowtail", "satisfy",
                        "courgette", "dancing script", "caveat brush", "humor sans", "z003")
# Faces never used: symbols, maths, emoji, dingbats, braille, barcode-like, non-text.
EXCLUDED_FAMILIES = (
    "symbol", "math", "emoji", "dingbat", "d050000l", "music", "braille", "ornament",
    "cursor", "webdings", "wingding", "icons", "fontawesome", "signwriting",
    "keyboard", "okolaks", "wargames", "because we organize", "because we mentor", "noto sans mono cjk",
)
# Families whose Latin glyphs come from a non-Latin design; excluded unless they are Noto
# Sans/Serif themselves (Noto's many script fonts reuse Latin only partially).
NOTO_LATIN = re.compile(r"^noto (sans|serif)( display| mono)?$")

# Faces that draw lowercase as capitals (besides what :func:`_caps_only` detects).
CAPS_ONLY_FAMILIES = (
    "bebas", "tomson", "humor sans", "because we", "smallcaps", "small caps", "f500",
    "staatliches", "bangers", "luckiest guy", "bungee", "cinzel", "bowlby one sc", " sc",
    "black ops one", "rock salt",
)

FONT_EXTENSIONS = (".ttf", ".otf", ".ttc")
BASIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def cache_root() -> Path:
    env = os.environ.get("UNITEXT_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "unitext"


def default_font_dirs() -> list[Path]:
    dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
            Path.home() / ".fonts", Path.home() / ".local/share/fonts", cache_root() / "fonts"]
    extra = os.environ.get("UNITEXT_FONT_DIRS", "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


@dataclass(frozen=True)
class FontInfo:
    """One face: where it is, what it is, which charset characters it draws."""

    path: str
    family: str
    style: str
    kind: str  # "printed" or "handwriting"
    covered: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    caps_only: bool = False
    sign_script: bool = False  # a handwriting/script face that also suits scene text

    @property
    def name(self) -> str:
        return f"{self.family} {self.style}".strip()

    @property
    def oblique(self) -> bool:
        s = self.style.lower()
        return "italic" in s or "oblique" in s

    @property
    def bold(self) -> bool:
        s = self.style.lower()
        return "bold" in s or "black" in s or "heavy" in s

    def covers(self, text: str) -> bool:
        return self.covered.issuperset(text.replace(" ", ""))


def _family_kind(family: str, path: str) -> str | None:
    """``printed`` / ``handwriting``, or None for an excluded face."""
    fam = family.lower()
    if any(x in fam for x in EXCLUDED_FAMILIES):
        return None
    if fam.startswith("noto") and not NOTO_LATIN.match(fam):
        return None
    parts = Path(path).parts
    if "handwriting" in parts:
        return "handwriting"
    if "printed" in parts:
        return "printed"
    if any(h in fam for h in HANDWRITING_FAMILIES):
        return "handwriting"
    return "printed"


def _mask(font: ImageFont.FreeTypeFont, text: str) -> np.ndarray:
    l, t, r, b = font.getbbox(text)
    if r - l <= 0 or b - t <= 0:
        return np.zeros((1, 1), np.uint8)
    im = Image.new("L", (r - l + 2, b - t + 2), 0)
    ImageDraw.Draw(im).text((1 - l, 1 - t), text, font=font, fill=255)
    return np.asarray(im)


def _shape(mask: np.ndarray, size: int = 24) -> np.ndarray:
    ys, xs = np.nonzero(mask > 96)
    if len(ys) == 0:
        return np.zeros((size, size), np.float32)
    crop = mask[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]
    im = Image.fromarray(crop).resize((size, size), Image.BILINEAR)
    return np.asarray(im, np.float32) / 255.0


def _caps_only(font: ImageFont.FreeTypeFont, family: str) -> bool:
    """Lowercase drawn as (small) capitals: a/e/g/r/n/t look like A/E/G/R/N/T, or are as tall."""
    fam = family.lower() + " "
    if any(c in fam for c in CAPS_ONLY_FAMILIES if c != " sc") or fam.endswith(" sc "):
        return True
    sims = []
    for lo in "aegrnt":
        a, b = _shape(_mask(font, lo)), _shape(_mask(font, lo.upper()))
        inter = np.minimum(a, b).sum()
        union = np.maximum(a, b).sum()
        sims.append(inter / union if union else 1.0)
    sim = float(np.mean(sims))
    bx, bX = font.getbbox("x"), font.getbbox("X")
    ratio = (bx[3] - bx[1]) / max(1, bX[3] - bX[1])
    return sim > 0.8 or (ratio > 0.93 and sim > 0.5)


def _cmap_chars(path: str) -> set[str] | None:
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        return None
    try:
        tt = TTFont(path, fontNumber=0, lazy=True)
        cmap = tt.getBestCmap() or {}
        tt.close()
    except Exception:
        return None
    return {chr(cp) for cp in cmap}


def analyse_font(path: str, chars: str) -> dict | None:
    """Family, style, kind, covered characters (of ``chars``) and caps flag; None if unusable."""
    try:
        font = ImageFont.truetype(path, 40)
        family, style = font.getname()
    except Exception:
        return None
    family = family or Path(path).stem
    style = style or "Regular"
    kind = _family_kind(family, path)
    if kind is None or any(x in style.lower() for x in ("hairline", "thin")):
        return None  # excluded families; hairline strokes vanish at crop resolution
    cmap = _cmap_chars(path)
    notdef = _mask(font, "\ue0ff")  # a private-use codepoint: draws .notdef or nothing
    covered = []
    for c in chars:
        if c == " ":
            continue
        if cmap is not None:
            if c not in cmap:
                continue
            l, t, r, b = font.getbbox(c)
            if r - l > 0 and b - t > 0:  # mapped and draws something
                covered.append(c)
            continue
        m = _mask(font, c)
        if m.max() < 128:
            continue  # draws nothing
        if cmap is None and m.shape == notdef.shape and np.array_equal(m, notdef):
            continue  # the .notdef box
        covered.append(c)
    cov = set(covered)
    if sum(c in cov for c in BASIC) < len(BASIC):
        return None  # not a Latin text face
    return {"family": family, "style": style, "kind": kind, "covered": "".join(covered),
            "caps_only": bool(_caps_only(font, family))}


def _scan(dirs: Iterable[Path]) -> list[Path]:
    seen: set[str] = set()
    out = []
    for d in dirs:
        if not d.is_dir():
            continue
        for root, _dirs, files in os.walk(d, followlinks=True):
            for f in files:
                if f.lower().endswith(FONT_EXTENSIONS) and ".tmp" not in f:
                    p = Path(root, f)
                    real = os.path.realpath(p)
                    if real not in seen:
                        seen.add(real)
                        out.append(p)
    return sorted(out, key=str)


class FontLibrary:
    """The usable fonts, split into printed and handwriting, with per-label selection."""

    def __init__(self, fonts: Sequence[FontInfo]):
        self.fonts = sorted(fonts, key=lambda f: f.path)
        self.printed = [f for f in self.fonts if f.kind == "printed"]
        self.handwriting = [f for f in self.fonts if f.kind == "handwriting"]
        self.sign_scripts = [f for f in self.handwriting if f.sign_script]

    @classmethod
    def discover(cls, dirs: Sequence[Path | str] | None = None, charset: Charset | None = None,
                 cache_path: Path | str | None = None, verbose: bool = False) -> "FontLibrary":
        charset = charset or Charset()
        chars = "".join(sorted(set(charset.characters)))
        paths = _scan([Path(d) for d in dirs] if dirs is not None else default_font_dirs())
        cache_file = Path(cache_path) if cache_path else cache_root() / "font-coverage.json"
        try:
            cache = json.loads(cache_file.read_text("utf-8"))
            if cache.get("version") != COVERAGE_VERSION or cache.get("chars") != chars:
                cache = {}
        except (OSError, ValueError):
            cache = {}
        entries = cache.get("fonts", {})
        changed = False
        fonts = []
        for p in paths:
            try:
                st = p.stat()
            except OSError:
                continue
            key = str(p)
            stamp = [st.st_size, int(st.st_mtime)]
            rec = entries.get(key)
            if rec is None or rec.get("stamp") != stamp:
                info = analyse_font(key, chars)
                rec = {"stamp": stamp, "info": info}
                entries[key] = rec
                changed = True
                if verbose:
                    print(f"analysed {key}: {'skip' if info is None else info['kind']}",
                          file=sys.stderr)
            info = rec["info"]
            if info is None:
                continue
            fam = info["family"].lower()
            fonts.append(FontInfo(path=key, family=info["family"], style=info["style"],
                                  kind=info["kind"], covered=frozenset(info["covered"]),
                                  caps_only=info["caps_only"],
                                  sign_script=any(s in fam for s in SIGN_SCRIPT_FAMILIES)))
        if changed:
            try:
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache_file.with_suffix(f".tmp{os.getpid()}")
                tmp.write_text(json.dumps({"version": COVERAGE_VERSION, "chars": chars,
                                           "fonts": entries}), "utf-8")
                os.replace(tmp, cache_file)
            except OSError:
                pass
        return cls(fonts)

    def fingerprint(self) -> str:
        """A short hash of the font set: the same fonts give the same synthetic data."""
        import hashlib
        h = hashlib.sha1()
        for f in self.fonts:
            h.update(f"{f.path}|{f.kind}|{len(f.covered)}\n".encode())
        return h.hexdigest()[:12]

    def handwriting_or_fallback(self) -> list[FontInfo]:
        """Handwriting faces, or (when none is installed) oblique then any printed faces."""
        if self.handwriting:
            return self.handwriting
        obl = [f for f in self.printed if f.oblique and "mono" not in f.family.lower()]
        return obl or self.printed

    @staticmethod
    def covering(fonts: Sequence[FontInfo], text: str) -> list[FontInfo]:
        need = set(text.replace(" ", ""))
        return [f for f in fonts if f.covered.issuperset(need)]

    def summary(self) -> str:
        fams_p = sorted({f.family for f in self.printed})
        fams_h = sorted({f.family for f in self.handwriting})
        return (f"{len(self.printed)} printed faces in {len(fams_p)} families, "
                f"{len(self.handwriting)} handwriting faces in {len(fams_h)} families\n"
                f"printed: {', '.join(fams_p)}\nhandwriting: {', '.join(fams_h)}")


def family_weights(fonts: Sequence[FontInfo]) -> np.ndarray:
    """Per-face weights that give every family the same total (Junicode ships 45 faces)."""
    counts: dict[str, int] = {}
    for f in fonts:
        counts[f.family] = counts.get(f.family, 0) + 1
    return np.array([1.0 / counts[f.family] for f in fonts], np.float64)


def pick_font(rng: np.random.Generator, fonts: Sequence[FontInfo],
              weights: np.ndarray | None = None) -> FontInfo:
    """One face, families equally likely unless ``weights`` (per face) say otherwise."""
    w = family_weights(fonts) if weights is None else np.asarray(weights, np.float64)
    return fonts[int(rng.choice(len(fonts), p=w / w.sum()))]


_LIBRARY: FontLibrary | None = None


def default_library() -> FontLibrary:
    """The process-wide library of installed fonts (discovered once per process)."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = FontLibrary.discover()
    return _LIBRARY


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A PIL font object, cached per process (path, pixel size)."""
    return ImageFont.truetype(path, max(4, int(size)))


# ---------------------------------------------------------------- npm @fontsource conversion

def _pick_files(files_dir: Path, fid: str, handwriting: bool) -> list[tuple[str, str]]:
    """(weight, style) pairs to convert: 400 normal, plus 700 and italics for printed faces."""
    have = {(m.group(1), m.group(2)) for f in files_dir.glob(f"{fid}-latin-*-*.woff2")
            if (m := re.match(rf"{re.escape(fid)}-latin-(\d+)-(normal|italic)\.woff2$", f.name))}
    want = [("400", "normal")] if handwriting else [("400", "normal"), ("700", "normal"),
                                                     ("400", "italic")]
    out = [w for w in want if w in have]
    if not out and have:
        out = [sorted(have)[0]]
    return out


def convert_npm_fonts(src: Path | str, out_dir: Path | str,
                      handwriting_ids: Iterable[str] = ()) -> list[Path]:
    """@fontsource packages -> TTF (latin + latin-ext subsets merged) in ``out_dir/<kind>/``.

    Existing outputs are kept. Needs fontTools and brotli (woff2).
    """
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    src, out_dir = Path(src), Path(out_dir)
    hw = set(handwriting_ids)
    written = []
    for pkg in sorted(p for p in src.iterdir() if (p / "files").is_dir()):
        fid = pkg.name
        try:
            meta = json.loads((pkg / "metadata.json").read_text("utf-8"))
        except (OSError, ValueError):
            meta = {}
        is_hw = fid in hw or meta.get("category") == "handwriting"
        kind = "handwriting" if is_hw else "printed"
        (out_dir / kind).mkdir(parents=True, exist_ok=True)
        lic = meta.get("license", {})
        if not isinstance(lic, dict):
            lic = {"type": str(lic)}
        lic_file = out_dir / kind / f"{fid}.license.json"
        if not lic_file.exists():
            lic_file.write_text(json.dumps(
                {"family": meta.get("family", fid), "license": lic.get("type"),
                 "attribution": lic.get("attribution"), "npm": f"@fontsource/{fid}",
                 "category": meta.get("category")}, indent=1), "utf-8")
        for weight, style in _pick_files(pkg / "files", fid, is_hw):
            dest = out_dir / kind / f"{fid}-{weight}-{style}.ttf"
            if dest.exists():
                written.append(dest)
                continue
            parts = []
            for sub in ("latin", "latin-ext"):
                f = pkg / "files" / f"{fid}-{sub}-{weight}-{style}.woff2"
                if f.exists():
                    tt = TTFont(str(f))
                    tt.flavor = None
                    tmp = dest.with_suffix(f".{sub}.tmp.ttf")
                    tt.save(str(tmp))
                    parts.append(tmp)
            if not parts:
                continue
            try:
                if len(parts) > 1:
                    try:
                        Merger().merge([str(p) for p in parts]).save(str(dest))
                    except Exception as exc:  # keep the latin subset alone
                        print(f"merge failed for {fid} ({exc}); latin subset only",
                              file=sys.stderr)
                        os.replace(parts[0], dest)
                else:
                    os.replace(parts[0], dest)
            finally:
                for p in parts:
                    if p.exists():
                        p.unlink()
            written.append(dest)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.synth.fonts")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("convert-npm", help="convert @fontsource woff2 to TTF")
    c.add_argument("src")
    c.add_argument("out")
    c.add_argument("--handwriting", nargs="*", default=[])
    s = sub.add_parser("summary", help="discover fonts and print what was found")
    s.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.cmd == "convert-npm":
        out = convert_npm_fonts(args.src, args.out, args.handwriting)
        print(f"{len(out)} npm font files in {args.out}")
    else:
        lib = FontLibrary.discover(verbose=args.verbose)
        print(lib.summary())
        caps = sorted({f.family for f in lib.fonts if f.caps_only})
        print(f"caps-only: {', '.join(caps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
