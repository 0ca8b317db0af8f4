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
mkdir -p "$OUT/maplibre-gl" "$OUT/uplot" "$OUT/world-atlas"

copy() {  # copy <package> <file relative to the package> <destination dir>
    install -m 0644 "$NM/$1/$2" "$OUT/$3/"
}
# MapLibre GL JS: ESM build + its worker (the page calls setWorkerUrl) + stylesheet.
copy maplibre-gl dist/maplibre-gl.mjs maplibre-gl
copy maplibre-gl dist/maplibre-gl-worker.mjs maplibre-gl
copy maplibre-gl dist/maplibre-gl.css maplibre-gl
copy maplibre-gl LICENSE.txt maplibre-gl
# Offline basemap: Natural Earth land at 1:10m (world-atlas TopoJSON), decoded here by topojson-client and cut
# into 5-degree cells by web/land_pieces.py (MapLibre cannot fill Eurasia's 83k-vertex ring; see there), shipped
# gzipped (2.2 MB; the page inflates it with DecompressionStream).
(cd "$WEB" && node -e '
const topojson = require("topojson-client"), fs = require("fs");
const topo = JSON.parse(fs.readFileSync(process.argv[1]));
fs.writeFileSync(process.argv[2], JSON.stringify(topojson.feature(topo, topo.objects.land)));
' node_modules/world-atlas/land-10m.json node_modules/.land-10m.geojson)
(cd "$WEB/node_modules" && python "../land_pieces.py" .land-10m.geojson "../../$OUT/world-atlas/land-10m.geojson.gz")
copy world-atlas LICENSE world-atlas
# uPlot: the speed/course plot around a crossing.
copy uplot dist/uPlot.esm.js uplot
copy uplot dist/uPlot.min.css uplot
copy uplot LICENSE uplot

# Source maps are not shipped: strip the trailing sourceMappingURL comments so browsers do not request them.
sed -i '/^\/\/# sourceMappingURL=/d' "$OUT/maplibre-gl/"*.mjs "$OUT/uplot/"*.js

{
    echo "# Vendored browser dependencies"
    echo
    echo "Written by scripts/vendor_web.sh from web/package-lock.json; do not edit by hand. Re-run the script to update."
    echo "tests/browser/test_vendor.py checks every file below against its sha256."
    echo
    echo "| package | version | licence | file | sha256 |"
    echo "|---|---|---|---|---|"
    for dir in maplibre-gl uplot world-atlas; do
        version=$(node -p "require('./$NM/$dir/package.json').version")
        licence=$(node -p "require('./$NM/$dir/package.json').license")
        for f in $(cd "$OUT" && ls "$dir"/* | sort); do
            sum=$(sha256sum "$OUT/$f" | cut -d' ' -f1)
            echo "| $dir | $version | $licence | $f | $sum |"
        done
    done
    echo
    echo "world-atlas packages Natural Earth data (public domain, naturalearthdata.com); its ISC licence covers the packaging."
    echo "world-atlas/land-10m.geojson.gz is derived at vendor time (decoded with topojson-client $(node -p "require('./$NM/topojson-client/package.json').version"), ISC; cut by web/land_pieces.py)."
} > "$OUT/VENDOR.md"
echo "vendored into $OUT:"
du -sh "$OUT"/*
