#!/usr/bin/env bash
# Installs the assets the synthetic data generators use: Debian word lists, fortune
# (sentence) files, printed and handwriting fonts, wallpapers for backgrounds, and a set of
# @fontsource handwriting/display fonts from npm converted to TTF under the user cache.
# Idempotent: installed packages are skipped, converted fonts are kept.
# Every package and its licence is listed in ASSETS.md beside this file.
#
#   bash training/assets/install.sh            # everything
#   UNITEXT_SKIP_APT=1 bash ...                 # only the npm fonts
#   UNITEXT_SKIP_NPM=1 bash ...                 # only the Debian packages
# The generators work without any of this (they fall back to DejaVu and built-in text).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PY="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
CACHE="${UNITEXT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/unitext}"

WORDLISTS=(wamerican wbritish wfrench wngerman wspanish witalian wportuguese wcatalan wdutch wdanish)
FORTUNES=(fortune-mod fortunes fortunes-min fortunes-de fortunes-es fortunes-it fortunes-br)
PRINTED_FONTS=(
  fonts-dejavu fonts-liberation fonts-liberation2 fonts-urw-base35 fonts-freefont-ttf
  fonts-noto-core fonts-lato fonts-cantarell fonts-ebgaramond fonts-comic-neue
  fonts-open-sans fonts-crosextra-carlito fonts-crosextra-caladea fonts-linuxlibertine
  fonts-texgyre fonts-firacode fonts-oxygen fonts-inconsolata fonts-croscore
  fonts-league-spartan fonts-sil-gentium fonts-sil-charis fonts-sil-andika
  fonts-yanone-kaffeesatz fonts-oldstandard fonts-adf-accanthis fonts-adf-gillius
  fonts-bebas-neue fonts-hack fonts-go fonts-quicksand fonts-jura fonts-tuffy fonts-f500
  fonts-averia-gwf fonts-averia-sans-gwf fonts-averia-serif-gwf fonts-junicode fonts-vollkorn
  fonts-cardo fonts-stix fonts-paratype fonts-cabinsketch fonts-lobster fonts-leckerli-one
  fonts-staypuft fonts-radisnoir fonts-okolaks fonts-league-mono fonts-goudybookletter
  fonts-prociono fonts-roboto-unhinted fonts-dustin
)
HANDWRITING_FONTS=(
  fonts-dancingscript fonts-kaushanscript fonts-femkeklaver fonts-dkg-handwriting
  fonts-breip fonts-bwht fonts-humor-sans fonts-kristi fonts-joscelyn fonts-ecolier-court
  fonts-levien-typoscript fonts-rufscript fonts-tomsontalks fonts-havana fonts-isabella
)
IMAGES=(desktop-base gnome-backgrounds)

# npm @fontsource packages: handwriting first, then printed display faces for scene text.
NPM_HANDWRITING=(
  caveat dancing-script homemade-apple indie-flower kalam patrick-hand shadows-into-light
  reenie-beanie cedarville-cursive architects-daughter gloria-hallelujah covered-by-your-grace
  sue-ellen-francisco schoolbell handlee gochi-hand annie-use-your-telescope bad-script
  marck-script neucha pinyon-script herr-von-muellerhoff mr-de-haviland monsieur-la-doulaise
  italianno tangerine great-vibes parisienne alex-brush allura sacramento satisfy yellowtail
  courgette caveat-brush short-stack swanky-and-moo-moo ms-madi whisper corinthia ephesis
  the-girl-next-door mansalva oooh-baby condiment licorice rock-salt permanent-marker
)
NPM_PRINTED=(
  oswald anton montserrat raleway playfair-display roboto-slab roboto-condensed archivo-black
  archivo-narrow abril-fatface bangers righteous fjalla-one pacifico alfa-slab-one passion-one
  russo-one teko barlow-condensed poppins nunito merriweather pt-sans-narrow pt-serif ubuntu
  josefin-sans kanit exo-2 titillium-web dosis bitter arvo zilla-slab black-ops-one staatliches
  bungee orbitron audiowide special-elite cinzel bodoni-moda libre-baskerville crimson-text lora
  fredoka luckiest-guy chewy changa-one league-gothic antonio sansita lilita-one paytone-one
  patua-one sigmar-one share-tech-mono im-fell-english
)

missing_debs() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

if [ "${UNITEXT_SKIP_APT:-0}" != 1 ]; then
  mapfile -t todo < <(missing_debs "${WORDLISTS[@]}" "${FORTUNES[@]}" "${PRINTED_FONTS[@]}" \
                                   "${HANDWRITING_FONTS[@]}" "${IMAGES[@]}")
  if [ "${#todo[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # Install one by one when the batch fails, so a package missing from this release
    # does not stop the others.
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${todo[@]}"; then
      $SUDO apt-get update || true
      for p in "${todo[@]}"; do
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$p" \
          || echo "install.sh: could not install $p (skipped)" >&2
      done
    fi
  else
    echo "install.sh: Debian packages already installed"
  fi
fi

if [ "${UNITEXT_SKIP_NPM:-0}" != 1 ] && command -v npm >/dev/null; then
  NPM_DIR="$CACHE/npm-fonts"
  mkdir -p "$NPM_DIR"
  [ -f "$NPM_DIR/package.json" ] || echo '{"name":"unitext-fonts","private":true}' > "$NPM_DIR/package.json"
  want=()
  for f in "${NPM_HANDWRITING[@]}" "${NPM_PRINTED[@]}"; do
    [ -d "$NPM_DIR/node_modules/@fontsource/$f" ] || want+=("@fontsource/$f")
  done
  if [ "${#want[@]}" -gt 0 ]; then
    npm install --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts "${want[@]}" \
      || for w in "${want[@]}"; do
           npm install --prefix "$NPM_DIR" --no-audit --no-fund --ignore-scripts "$w" \
             || echo "install.sh: could not install $w (skipped)" >&2
         done
  else
    echo "install.sh: npm fonts already installed"
  fi
  # woff2 subsets (latin + latin-ext) -> one TTF per family/style, needs fontTools + brotli.
  if ! "$PY" -c "import fontTools, brotli" 2>/dev/null; then
    "$PY" -m pip install --quiet fonttools brotli || echo "install.sh: fontTools unavailable" >&2
  fi
  cd "$REPO"
  "$PY" -m training.synth.fonts convert-npm "$NPM_DIR/node_modules/@fontsource" "$CACHE/fonts" \
      --handwriting "${NPM_HANDWRITING[@]}"
fi

cd "$REPO"
"$PY" -m training.synth.fonts summary || true
