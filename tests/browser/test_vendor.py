"""The console page is offline-capable: vendored files match VENDOR.md, and no page asset loads from another origin."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

import seawarden.api

STATIC = Path(seawarden.api.__file__).parent / "static"
VENDOR = STATIC / "vendor"
OWN_ASSETS = [STATIC / "index.html", STATIC / "app.css", STATIC / "app.js", *sorted((STATIC / "js").glob("*.js"))]
URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*""", re.IGNORECASE)
# XML namespaces are identifiers, never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink"}


def vendor_table() -> dict[str, str]:
    rows = {}
    for line in (VENDOR / "VENDOR.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[0-9a-f]{64}", cells[4]):
            rows[cells[3]] = cells[4]
    return rows


def test_vendored_files_match_vendor_md_hashes():
    table = vendor_table()
    assert table, "VENDOR.md lists no files"
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"VENDOR.md"}
    assert on_disk == set(table), f"files not in VENDOR.md: {on_disk - set(table)}; listed but missing: {set(table) - on_disk}"
    for rel, digest in table.items():
        actual = hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest()
        assert actual == digest, f"{rel}: sha256 {actual} differs from VENDOR.md; re-run scripts/vendor_web.sh"


def test_every_vendored_package_ships_its_licence():
    packages = {rel.split("/")[0] for rel in vendor_table()}
    for pkg in packages:
        assert list((VENDOR / pkg).glob("LICENSE*")), f"vendor/{pkg} has no LICENSE file"


@pytest.mark.parametrize("path", OWN_ASSETS, ids=lambda p: p.relative_to(STATIC).as_posix())
def test_page_assets_reference_no_other_origin(path: Path):
    text = path.read_text()
    remote = [u for u in URL.findall(text) if u not in NAMESPACES]
    assert not remote, f"{path.name} references another origin: {remote}"


def test_vendored_stylesheets_load_nothing_remote():
    for css in VENDOR.rglob("*.css"):
        refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text())
        remote = [r for r in refs if re.match(r"(?:https?:)?//", r)]
        assert not remote, f"{css.relative_to(VENDOR)} loads {remote}"


def test_page_references_resolve_to_packaged_files():
    """Every src/href of the page and every relative ES-module import points to a file that exists."""
    html = (STATIC / "index.html").read_text()
    refs = re.findall(r"""(?:src|href)="([^"#]+)\"""", html)
    assert refs, "index.html loads nothing"
    for ref in (r for r in refs if not r.startswith("data:")):
        assert ref.startswith("static/"), f"index.html: {ref} is not under static/ (the page is served at /)"
        assert (STATIC / ref.removeprefix("static/")).is_file(), f"index.html: {ref} does not exist"
    for module in [STATIC / "app.js", *(STATIC / "js").glob("*.js")]:
        for spec in re.findall(r"""(?:from|import)\s*\(?\s*"(\.{1,2}/[^"]+)\"""", module.read_text()):
            assert (module.parent / spec).resolve().is_file(), f"{module.name}: import {spec} does not exist"
        for spec in re.findall(r"""new URL\("(\.{1,2}/[^"]+)", import\.meta\.url\)""", module.read_text()):
            assert (module.parent / spec).resolve().is_file(), f"{module.name}: {spec} does not exist"
