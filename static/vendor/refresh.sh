#!/usr/bin/env bash
# Re-vendor the front-end libraries served from static/vendor/ (no CDN at run time).
# Bump a version below, run `bash static/vendor/refresh.sh`, review the diff, commit.
# Needs node/npm and access to the npm registry. Leaves nothing behind but the
# vendored files: tarballs are packed and extracted in a temp dir outside the repo.
set -euo pipefail

BOOTSTRAP_VERSION=5.3.9
BOOTSTRAP_ICONS_VERSION=1.13.2
HTMX_VERSION=2.0.11
ALPINE_CSP_VERSION=3.17.4
ECHARTS_VERSION=6.1.0

DEST="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# fetch <npm name> <version or range>: npm pack + extract into $TMP/<slug>/package
fetch() {
  local name="$1" spec="$2" slug tgz
  slug="$(slugify "$name")"
  mkdir -p "$TMP/$slug"
  tgz="$(cd "$TMP" && npm pack "$name@$spec" --pack-destination "$TMP/$slug" --silent | tail -n1)"
  tar -xzf "$TMP/$slug/$tgz" -C "$TMP/$slug"
}
slugify() { local s="${1#@}"; echo "${s//\//-}"; }
pkg() { echo "$TMP/$(slugify "$1")/package"; }
pkgfield() { node -p "require('$(pkg "$1")/package.json').$2"; }

# put <src> <dest relative to static/vendor>: copy, dropping sourceMappingURL comments
# (the .map files are not vendored; browsers and ManifestStaticFilesStorage would look for them)
put() {
  mkdir -p "$(dirname "$DEST/$2")"
  cp "$1" "$DEST/$2"
  case "$2" in
    *.js)  sed -i -E '/^[[:space:]]*\/\/[#@] sourceMappingURL=/d' "$DEST/$2" ;;
    *.css) sed -i -E 's#/\*[#@] sourceMappingURL=[^*]*\*/##g' "$DEST/$2" ;;
  esac
}

VERSIONS=()
# record <npm name> <files...>  (licence file is copied separately)
record() {
  local name="$1"; shift
  VERSIONS+=("$name $(pkgfield "$name" version) $(pkgfield "$name" license) $*")
}
# licence <npm name>: copy the package's LICENSE / LICENSE.md / LICENSE.txt
licence() {
  local f
  f="$(find "$(pkg "$1")" -maxdepth 1 -type f -iname 'licen[cs]e*' | sort | head -n1)"
  [[ -n "$f" ]] || { echo "no licence file in $1" >&2; exit 1; }
  cp "$f" "$DEST/LICENSES/$(slugify "$1").LICENSE"
}

# Start from a clean slate for everything this script owns.
rm -rf "$DEST/bootstrap" "$DEST/bootstrap-icons" "$DEST/htmx" "$DEST/alpinejs" \
       "$DEST/echarts" "$DEST/LICENSES" "$DEST/VERSIONS"
mkdir -p "$DEST/LICENSES"

# --- bootstrap --------------------------------------------------------------
fetch bootstrap "$BOOTSTRAP_VERSION"
P="$(pkg bootstrap)"
put "$P/dist/css/bootstrap.min.css" bootstrap/css/bootstrap.min.css
put "$P/dist/js/bootstrap.bundle.min.js" bootstrap/js/bootstrap.bundle.min.js
licence bootstrap
record bootstrap bootstrap/css/bootstrap.min.css bootstrap/js/bootstrap.bundle.min.js

# --- bootstrap-icons --------------------------------------------------------
fetch bootstrap-icons "$BOOTSTRAP_ICONS_VERSION"
P="$(pkg bootstrap-icons)"
put "$P/font/bootstrap-icons.min.css" bootstrap-icons/bootstrap-icons.min.css
put "$P/font/fonts/bootstrap-icons.woff2" bootstrap-icons/fonts/bootstrap-icons.woff2
put "$P/font/fonts/bootstrap-icons.woff" bootstrap-icons/fonts/bootstrap-icons.woff
licence bootstrap-icons
record bootstrap-icons bootstrap-icons/bootstrap-icons.min.css \
  bootstrap-icons/fonts/bootstrap-icons.woff2 bootstrap-icons/fonts/bootstrap-icons.woff

# --- htmx -------------------------------------------------------------------
fetch htmx.org "$HTMX_VERSION"
P="$(pkg htmx.org)"
put "$P/dist/htmx.min.js" htmx/htmx.min.js
licence htmx.org
record htmx.org htmx/htmx.min.js

# --- Alpine.js, CSP build ---------------------------------------------------
fetch @alpinejs/csp "$ALPINE_CSP_VERSION"
P="$(pkg @alpinejs/csp)"
put "$P/dist/cdn.min.js" alpinejs/alpine-csp.min.js
record @alpinejs/csp alpinejs/alpine-csp.min.js
# The npm tarball ships no LICENSE file; this is LICENSE.md of github.com/alpinejs/alpine.
cat > "$DEST/LICENSES/alpinejs-csp.LICENSE" <<'EOF'
# MIT License

Copyright © 2019-2021 Caleb Porzio and contributors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF

# --- echarts ----------------------------------------------------------------
fetch echarts "$ECHARTS_VERSION"
P="$(pkg echarts)"
put "$P/dist/echarts.min.js" echarts/echarts.min.js
licence echarts
cp "$P/NOTICE" "$DEST/LICENSES/echarts.NOTICE"              # Apache-2.0 requires NOTICE
cp "$P/licenses/LICENSE-d3" "$DEST/LICENSES/echarts.LICENSE-d3"  # referenced by echarts LICENSE
record echarts echarts/echarts.min.js

# --- licences of third-party code bundled inside the files above -------------
# Versions follow the parents' declared dependency ranges; only the licence is copied.
bundled() {  # bundled <npm name> <spec> <bundled into>
  fetch "$1" "$2"
  licence "$1"
  VERSIONS+=("$1 $(pkgfield "$1" version) $(pkgfield "$1" license) licence-only(bundled-in:$3)")
}
bundled @popperjs/core "$(pkgfield bootstrap "peerDependencies['@popperjs/core']")" bootstrap/js/bootstrap.bundle.min.js
bundled @vue/reactivity "$(pkgfield @alpinejs/csp "dependencies['@vue/reactivity']")" alpinejs/alpine-csp.min.js
bundled @vue/shared "$(pkgfield @vue/reactivity "dependencies['@vue/shared']")" alpinejs/alpine-csp.min.js
bundled zrender "$(pkgfield echarts "dependencies.zrender")" echarts/echarts.min.js
bundled tslib "$(pkgfield echarts "dependencies.tslib")" echarts/echarts.min.js

printf '%s\n' "${VERSIONS[@]}" > "$DEST/VERSIONS"

# --- sanity checks ------------------------------------------------------------
# every url(...) in the icons css must resolve to a vendored file
for u in $(grep -oE 'url\([^)]*\)' "$DEST/bootstrap-icons/bootstrap-icons.min.css" \
             | sed -E 's/^url\(["'\'']?//; s/["'\'']?\)$//; s/[?#].*$//'); do
  [[ -f "$DEST/bootstrap-icons/$u" ]] || { echo "missing font referenced by css: $u" >&2; exit 1; }
done
if grep -rlE 'sourceMappingURL=' "$DEST" --include='*.js' --include='*.css'; then
  echo "sourceMappingURL left in the files above" >&2; exit 1
fi
echo "vendored into $DEST:"
cat "$DEST/VERSIONS"
