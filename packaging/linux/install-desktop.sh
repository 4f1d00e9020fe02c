#!/bin/sh
# Put UniText in the application menu of the current user (no root needed): the .desktop
# entry, the icons (hicolor theme, 16-256 px + SVG) and a `unitext` link in ~/.local/bin.
#
#   dist/unitext/install-desktop.sh               # from an unpacked desktop bundle
#   dist/unitext/install-desktop.sh --uninstall
#   packaging/linux/install-desktop.sh --exec unitext   # a pip install (unitext on PATH)
#
# Options: --bundle DIR (the bundle folder holding the `unitext` program; default: the folder
# of this script, or dist/unitext in a source checkout), --exec CMD (what the menu entry runs
# instead of the bundle's program; no ~/.local/bin link then), --uninstall.
# Honours XDG_DATA_HOME (default ~/.local/share).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bundle=""
exec_cmd=""
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --bundle) bundle=$2; shift 2 ;;
        --exec) exec_cmd=$2; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-desktop.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

data=${XDG_DATA_HOME:-$HOME/.local/share}
apps="$data/applications"
icons="$data/icons/hicolor"
bindir="$HOME/.local/bin"
sizes="16 24 32 48 64 128 256"

refresh() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" 2>/dev/null || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
}

if [ "$uninstall" = 1 ]; then
    rm -f "$apps/unitext.desktop" "$icons/scalable/apps/unitext.svg"
    for s in $sizes; do rm -f "$icons/${s}x${s}/apps/unitext.png"; done
    # the link only if it is ours (points at a bundle's unitext program)
    if [ -L "$bindir/unitext" ] && [ -f "$(dirname "$(readlink "$bindir/unitext")")/_internal/share/applications/unitext.desktop" ]; then
        rm -f "$bindir/unitext"
    fi
    refresh
    echo "UniText removed from the application menu."
    exit 0
fi

# Where the bundle and its resources are.
if [ -z "$bundle" ]; then
    for candidate in "$here" "$here/.." "$here/../../dist/unitext"; do
        if [ -x "$candidate/unitext" ] && [ -d "$candidate/_internal" ]; then
            bundle=$(cd "$candidate" && pwd)
            break
        fi
    done
fi
if [ -n "$bundle" ]; then
    res="$bundle/_internal/resources/icons"
    desktop="$bundle/_internal/share/applications/unitext.desktop"
else
    if [ -z "$exec_cmd" ]; then
        echo "install-desktop.sh: no UniText bundle found next to this script; give --bundle DIR," >&2
        echo "or --exec unitext for a pip install." >&2
        exit 1
    fi
    root=$(cd "$here/../.." && pwd)  # a source checkout: packaging/linux/ -> repository root
    res="$root/resources/icons"
    desktop="$here/unitext.desktop"
fi
[ -f "$desktop" ] || { echo "install-desktop.sh: missing $desktop" >&2; exit 1; }
[ -f "$res/unitext.svg" ] || { echo "install-desktop.sh: missing icons in $res" >&2; exit 1; }

if [ -z "$exec_cmd" ]; then
    case "$bundle" in
        *\"*|*\`*|*\$*|*\\*) echo "install-desktop.sh: the bundle path must not contain \" \` \$ or \\" >&2; exit 1 ;;
    esac
    program="\"$bundle/unitext\""
    tryexec="$bundle/unitext"
else
    program=$exec_cmd
    tryexec=${exec_cmd%% *}
fi

mkdir -p "$apps" "$icons/scalable/apps"
for s in $sizes; do
    if [ -f "$res/hicolor/${s}x${s}/apps/unitext.png" ]; then
        mkdir -p "$icons/${s}x${s}/apps"
        cp "$res/hicolor/${s}x${s}/apps/unitext.png" "$icons/${s}x${s}/apps/unitext.png"
    fi
done
cp "$res/unitext.svg" "$icons/scalable/apps/unitext.svg"

tmp="$apps/.unitext.desktop.$$"
sed -e "s|^Exec=unitext |Exec=$program |" -e "s|^TryExec=unitext\$|TryExec=$tryexec|" \
    "$desktop" > "$tmp"
mv "$tmp" "$apps/unitext.desktop"

if [ -z "$exec_cmd" ]; then
    mkdir -p "$bindir"
    if [ ! -e "$bindir/unitext" ] || [ -L "$bindir/unitext" ]; then
        ln -sf "$bundle/unitext" "$bindir/unitext"
    else
        echo "install-desktop.sh: $bindir/unitext exists and is not a link; left as it is." >&2
    fi
fi
refresh
echo "UniText is in the application menu ($apps/unitext.desktop)."
