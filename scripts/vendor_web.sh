#!/usr/bin/env bash
# Vendor the console's browser dependencies into the package, so the page works with no internet and no bundler.
#
# `npm ci` installs the versions pinned in web/package-lock.json into web/node_modules (gitignored); this script
# then copies only the dist files the page loads, with their licences, into src/seawarden/api/static/vendor/ and
# writes VENDOR.md (name, version, licence, sha256 of every file). The vendored files are committed, so
# `pip install -e .` alone gives a working offline console; tests/browser/test_vendor.py checks them against
# VENDOR.md. Run it again after changing web/package.json (then `npm install` there to refresh the lock file).
set -euo pipefail
cd "$(dirname "$0")/.."
WEB=web
OUT=src/seawarden/api/static/vendor
NM="$WEB/node_modules"

command -v npm >/dev/null || { echo "vendor_web.sh: npm is not installed (apt-get install -y npm)" >&2; exit 1; }
(cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)

rm -rf "$OUT"
mkdir -p "$OUT/maplibre-gl" "$OUT/topojson-client" "$OUT/uplot" "$OUT/world-atlas"

copy() {  # copy <package> <file relative to the package> <destination dir>
    install -m 0644 "$NM/$1/$2" "$OUT/$3/"
}
# MapLibre GL JS: ESM build + its worker (the page calls setWorkerUrl) + stylesheet.
copy maplibre-gl dist/maplibre-gl.mjs maplibre-gl
copy maplibre-gl dist/maplibre-gl-worker.mjs maplibre-gl
copy maplibre-gl dist/maplibre-gl.css maplibre-gl
copy maplibre-gl LICENSE.txt maplibre-gl
# Offline basemap: Natural Earth land at 1:10m as TopoJSON (3 MB; 50m showed a fill artefact over the Gulf of
# Bothnia), decoded in the browser by topojson-client (UMD build, exposes window.topojson).
copy world-atlas land-10m.json world-atlas
copy world-atlas LICENSE world-atlas
copy topojson-client dist/topojson-client.min.js topojson-client
copy topojson-client LICENSE topojson-client
# uPlot: the speed/course plot around a crossing.
copy uplot dist/uPlot.esm.js uplot
copy uplot dist/uPlot.min.css uplot
copy uplot LICENSE uplot

# Source maps are not shipped: strip the trailing sourceMappingURL comments so browsers do not request them.
sed -i '/^\/\/# sourceMappingURL=/d' "$OUT/maplibre-gl/"*.mjs "$OUT/topojson-client/"*.js "$OUT/uplot/"*.js

{
    echo "# Vendored browser dependencies"
    echo
    echo "Written by scripts/vendor_web.sh from web/package-lock.json; do not edit by hand. Re-run the script to update."
    echo "tests/browser/test_vendor.py checks every file below against its sha256."
    echo
    echo "| package | version | licence | file | sha256 |"
    echo "|---|---|---|---|---|"
    for dir in maplibre-gl topojson-client uplot world-atlas; do
        version=$(node -p "require('./$NM/$dir/package.json').version")
        licence=$(node -p "require('./$NM/$dir/package.json').license")
        for f in $(cd "$OUT" && ls "$dir"/* | sort); do
            sum=$(sha256sum "$OUT/$f" | cut -d' ' -f1)
            echo "| $dir | $version | $licence | $f | $sum |"
        done
    done
    echo
    echo "world-atlas packages Natural Earth data (public domain, naturalearthdata.com); its ISC licence covers the packaging."
} > "$OUT/VENDOR.md"
echo "vendored into $OUT:"
du -sh "$OUT"/*
