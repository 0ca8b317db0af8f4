"""fetch(): downloads from a loopback HTTP server, cache, retries, verification, clear errors, mirrors."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import urllib.request
import zipfile
from pathlib import Path

import pytest

from seawarden.ingest.fetch import CatalogError, FetchError, catalog, dataset_path, fetch
from seawarden.ingest.fetch import store
from seawarden.ingest.fetch.catalog import parse_catalog

from .conftest import FAST_RETRY, Recorder, Upstream

NMEA_2013 = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"


def use_catalog(monkeypatch: pytest.MonkeyPatch, doc: dict) -> None:
    """Point fetch() at a catalog whose URLs lie on the loopback server."""
    sets = parse_catalog(doc, "test catalog")
    monkeypatch.setattr(store, "dataset", lambda name: sets[name])


def one_file_set(url: str, **file: object) -> dict:
    return {"t": {"title": "test set", "kind": "download", "folder": "tset", "licence": "CC0", "attribution": "x",
                  "files": [{"name": "data.bin", "urls": [url], **file}]}}


@pytest.fixture
def nmea_gz(shared_data: Path) -> bytes:
    return (shared_data / NMEA_2013).read_bytes()


def test_download_reports_progress_then_serves_from_cache(home, upstream: Upstream, nmea_gz: bytes, monkeypatch) -> None:
    upstream.files["/x.gz"] = nmea_gz
    use_catalog(monkeypatch, one_file_set(upstream.url("/x.gz"), sha256=hashlib.sha256(nmea_gz).hexdigest(),
                                          size=len(nmea_gz), check="gzip"))
    rec = Recorder()
    path = fetch("t", progress=rec, retry=FAST_RETRY)
    assert path == home / "data" / "tset" / "data.bin"
    assert path.read_bytes() == nmea_gz
    assert rec.starts == [("data.bin", len(nmea_gz), 0)] and rec.advanced == len(nmea_gz) and rec.finished >= 1
    assert not list(path.parent.glob("*.part"))
    assert fetch("t", retry=FAST_RETRY) == path
    assert len(upstream.requests) == 1  # cache hit: no second request
    fetch("t", force=True, retry=FAST_RETRY)
    assert len(upstream.requests) == 2


def test_retries_after_503_and_succeeds(home, upstream: Upstream, monkeypatch) -> None:
    upstream.files["/f"] = b"payload" * 1000
    upstream.fail_first["/f"] = (503, 2)
    use_catalog(monkeypatch, one_file_set(upstream.url("/f")))
    path = fetch("t", retry=FAST_RETRY)
    assert path.read_bytes() == b"payload" * 1000
    assert len(upstream.requests) == 3


def test_gives_up_after_the_retries_with_every_attempt_named(home, upstream: Upstream, monkeypatch) -> None:
    upstream.files["/f"] = b"x"
    upstream.fail_first["/f"] = (503, 99)
    use_catalog(monkeypatch, one_file_set(upstream.url("/f")))
    with pytest.raises(FetchError, match=r"HTTP 503.*attempt 3/3"):
        fetch("t", retry=FAST_RETRY)
    assert not (home / "data" / "tset" / "data.bin").exists()


def test_cut_connection_resumes_with_a_range_request(home, upstream: Upstream, nmea_gz: bytes, monkeypatch) -> None:
    upstream.files["/x.gz"] = nmea_gz
    upstream.truncate_first["/x.gz"] = 300_000
    use_catalog(monkeypatch, one_file_set(upstream.url("/x.gz"), sha256=hashlib.sha256(nmea_gz).hexdigest(), check="gzip"))
    path = fetch("t", retry=FAST_RETRY)
    assert path.read_bytes() == nmea_gz
    assert upstream.requests == [("/x.gz", None), ("/x.gz", "bytes=300000-")]


def test_resume_against_a_server_that_ignores_range_restarts_cleanly(home, upstream: Upstream, nmea_gz: bytes,
                                                                     monkeypatch) -> None:
    upstream.files["/x.gz"] = nmea_gz
    upstream.truncate_first["/x.gz"] = 100_000
    upstream.ignore_range = True
    use_catalog(monkeypatch, one_file_set(upstream.url("/x.gz"), sha256=hashlib.sha256(nmea_gz).hexdigest()))
    assert fetch("t", retry=FAST_RETRY).read_bytes() == nmea_gz


def test_truncated_file_is_rejected_and_nothing_is_left(home, upstream: Upstream, nmea_gz: bytes, monkeypatch) -> None:
    upstream.files["/x.gz"] = nmea_gz[:500_000]  # the server itself holds a short copy
    use_catalog(monkeypatch, one_file_set(upstream.url("/x.gz"), size=len(nmea_gz)))
    with pytest.raises(FetchError, match=f"got 500000 bytes, expected {len(nmea_gz)}"):
        fetch("t", retry=FAST_RETRY)
    assert not list((home / "data" / "tset").glob("*"))


def test_damaged_zip_and_wrong_hash_are_rejected(home, upstream: Upstream, monkeypatch) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("aisdk.csv", b"Timestamp,MMSI\n" * 5000)
    good = buf.getvalue()
    bad = good[:200] + bytes(b ^ 0xFF for b in good[200:260]) + good[260:]
    upstream.files["/bad.zip"] = bad
    use_catalog(monkeypatch, one_file_set(upstream.url("/bad.zip"), check="zip"))
    with pytest.raises(FetchError, match="corrupt|damaged zip"):
        fetch("t", retry=FAST_RETRY)
    upstream.files["/good.zip"] = good
    use_catalog(monkeypatch, one_file_set(upstream.url("/good.zip"), check="zip", sha256="0" * 64))
    with pytest.raises(FetchError, match="SHA-256"):
        fetch("t", retry=FAST_RETRY)
    use_catalog(monkeypatch, one_file_set(upstream.url("/good.zip"), check="zip"))
    assert zipfile.ZipFile(fetch("t", retry=FAST_RETRY)).namelist() == ["aisdk.csv"]


def test_404_names_status_and_url_and_falls_back_to_the_next_url(home, upstream: Upstream, monkeypatch) -> None:
    use_catalog(monkeypatch, one_file_set(upstream.url("/gone.zip")))
    with pytest.raises(FetchError, match=r"/gone\.zip: HTTP 404"):
        fetch("t", retry=FAST_RETRY)
    upstream.files["/alt.bin"] = b"abc"
    doc = one_file_set(upstream.url("/gone.zip"))
    doc["t"]["files"][0]["urls"].append(upstream.url("/alt.bin"))
    use_catalog(monkeypatch, doc)
    assert fetch("t", retry=FAST_RETRY).read_bytes() == b"abc"


def test_dns_failure_suggests_the_mirror(home, monkeypatch) -> None:
    def no_dns(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    use_catalog(monkeypatch, one_file_set("http://web.ais.example/aisdk.zip"))
    with pytest.raises(FetchError, match="no internet\\? set SEAWARDEN_MIRROR"):
        fetch("t", retry=FAST_RETRY)


def test_dated_set_needs_a_valid_date(home) -> None:
    with pytest.raises(CatalogError, match="--date"):
        fetch("dma-aisdk")
    with pytest.raises(FetchError, match="YYYY-MM-DD"):
        fetch("dma-aisdk", date="17/09/2022")
    with pytest.raises(CatalogError, match="unknown data set 'nope'"):
        fetch("nope")


def _no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:1]))
        raise AssertionError("network access attempted in mirror mode")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def test_mirror_folder_serves_shared_data_in_place_without_network(home, shared_data: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEAWARDEN_MIRROR", str(shared_data))
    attempts = _no_network(monkeypatch)
    assert fetch("dma-nmea-2013") == shared_data / NMEA_2013
    assert fetch("telegeography") == shared_data / "cables_telegeography"
    assert fetch("gridkit") == shared_data / "power_links_entsoe_gridkit"
    assert fetch("noaa-us-coastal").is_file()
    served = []
    for name, ds in catalog().items():
        if ds.dated or ds.kind == "stream":
            continue
        try:
            served.append(fetch(name).exists())
        except FetchError as exc:  # sets the shared folder does not hold: the error names the file looked for
            assert str(shared_data / ds.folder) in str(exc) and "looked for" in str(exc)
    assert len(served) >= 9 and all(served)
    with pytest.raises(FetchError, match="ais_dma_aisdk/aisdk-2024-03-01.zip"):
        fetch("dma-aisdk", date="2024-03-01")
    with pytest.raises(FetchError, match=r"live stream.*kystverket-live_\*\.nmea"):
        fetch("kystverket-live")
    assert attempts == []
    assert not (home / "data").exists()  # nothing copied into the cache


def test_mirror_that_does_not_exist_is_an_error(home, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="mirror folder .*nowhere does not exist"):
        fetch("dma-nmea-2013", mirror=tmp_path / "nowhere")


def test_http_mirror_laid_out_like_shared_data(home, upstream: Upstream, shared_data: Path) -> None:
    for rel in (NMEA_2013, "ais_csv_dma_2022-09-17_sample/aisdk_2022-09-17_10k_rows.csv.gz"):
        upstream.files["/mirror/" + rel] = (shared_data / rel).read_bytes()
    path = fetch("dma-nmea-2013", mirror=upstream.url("/mirror"), retry=FAST_RETRY)  # sha256 + gzip verified
    assert path == home / "data" / NMEA_2013 and path.read_bytes() == (shared_data / NMEA_2013).read_bytes()
    csv = fetch("dma-aisdk-sample", mirror=upstream.url("/mirror"), retry=FAST_RETRY)
    assert gzip.open(csv).readline().startswith(b",# Timestamp")
    # the filled cache is itself a mirror
    assert fetch("dma-nmea-2013", mirror=home / "data") == path


def test_upstream_plain_file_is_verified_then_stored_gzipped_like_the_mirror(home, upstream: Upstream,
                                                                              shared_data: Path, monkeypatch) -> None:
    plain = gzip.open(shared_data / "ais_csv_dma_2022-09-17_sample/aisdk_2022-09-17_10k_rows.csv.gz").read()
    upstream.files["/bkkas/dk.csv"] = plain
    ds = catalog()["dma-aisdk-sample"]
    f = ds.files[0]
    use_catalog(monkeypatch, {"dma-aisdk-sample": {
        "title": ds.title, "kind": "download", "folder": ds.folder, "licence": ds.licence, "attribution": ds.attribution,
        "files": [{"name": f.name, "urls": [upstream.url("/bkkas/dk.csv")], "compress": "gzip", "sha256": f.sha256,
                   "size": f.size}]}})
    path = fetch("dma-aisdk-sample", retry=FAST_RETRY)  # the catalog's real hash matches the real bytes
    assert path.name.endswith(".csv.gz") and gzip.open(path).read() == plain


def test_derived_set_without_mirror_says_where_it_came_from(home) -> None:
    with pytest.raises(FetchError, match=r"no direct download.*pypsa-eur.*SEAWARDEN_MIRROR.*gridkit_dc_links_europe"):
        fetch("gridkit")


def test_dataset_path_does_not_fetch(home, shared_data: Path) -> None:
    assert dataset_path("dma-aisdk", date="2024-03-01") == home / "data" / "ais_dma_aisdk" / "aisdk-2024-03-01.zip"
    assert dataset_path("telegeography", mirror=shared_data) == shared_data / "cables_telegeography"


@pytest.mark.parametrize("bad, message", [
    ({"kind": "ftp"}, "kind must be one of"),
    ({"folder": "../etc"}, "must be relative"),
    ({"files": [{"name": "a", "urls": ["u"], "check": "rar"}]}, "check must be one of"),
    ({"files": [{"name": "a"}]}, "needs urls"),
    ({"files": [{"name": "a", "urls": ["u"], "sha256": "xyz"}]}, "64 lower-case hex"),
    ({"licence": ""}, "'licence' is required"),
])
def test_catalog_defects_name_the_set(bad: dict, message: str) -> None:
    doc = one_file_set("http://x/y")
    doc["t"].update(bad)
    with pytest.raises(CatalogError, match=r"\[t\].*" + message):
        parse_catalog(doc, "test catalog")


def test_packaged_catalog_is_complete() -> None:
    sets = catalog()
    assert {"dma-aisdk", "kystverket-live", "emodnet-pipelines", "emodnet-power-cables", "telegeography", "gridkit",
            "scigrid-gas"} <= set(sets)
    assert sets["dma-aisdk"].files[0].urls[0] == "https://web.ais.dk/aisdata/aisdk-{date}.zip"
    assert (sets["kystverket-live"].host, sets["kystverket-live"].port) == ("153.44.253.27", 5631)
    for ds in sets.values():
        assert ds.licence and ds.attribution
