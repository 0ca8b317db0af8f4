"""User files through pyogrio (GeoJSON, GeoPackage, Shapefile, KML), all-or-nothing validation,
the GeoParquet registry and the `assets` CLI."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from seawarden.assets import cli as assets_cli
from seawarden.assets.loaders import AssetLoadError, read_asset_file
from seawarden.assets.registry import AssetRegistry

LINE = shapely.LineString([(24.0, 59.5), (24.5, 59.8), (25.0, 59.9)])
AREA = shapely.box(22.0, 59.0, 22.5, 59.3)


def frame(**overrides: list) -> gpd.GeoDataFrame:
    data = {"name": ["Test cable", "Exercise box"], "kind": ["power_cable", None], "criticality": [5, None]}
    data.update(overrides)
    return gpd.GeoDataFrame(data, geometry=[LINE, AREA], crs=4326)


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered field name")
@pytest.mark.parametrize(("suffix", "driver"), [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile"), (".kml", "KML")])
def test_formats_round_trip(tmp_path: Path, suffix: str, driver: str) -> None:
    path = tmp_path / f"assets{suffix}"
    df = frame()
    if driver == "KML":  # KML carries Name/Description only: the kind comes from the command line
        df = df[["name", "geometry"]].iloc[:1]
    if driver == "ESRI Shapefile":  # one geometry type per file
        df = df.iloc[:1]
    df.to_file(path, driver=driver)
    table = read_asset_file(path, kind="power_cable" if driver == "KML" else None)
    i = table.find("Test cable")
    assert table.kind[i] == "power_cable"
    assert table.corridor_m[i] == 1852.0
    assert table.id[i].startswith("assets:")
    assert shapely.equals_exact(table.geometry[i], LINE, tolerance=1e-7)
    if driver != "KML":
        assert table.criticality[i] == 5
    if driver in ("GeoJSON", "GPKG"):
        assert table.kind[table.find("Exercise box")] == "area"


def test_projected_crs_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "utm.gpkg"
    frame().to_crs(32635).to_file(path)
    table = read_asset_file(path)
    assert shapely.equals_exact(table.geometry[table.find("Test cable")], LINE, tolerance=1e-6)


def test_overrides_apply_to_every_feature(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    frame().to_file(path)
    table = read_asset_file(path, corridor_m=500, criticality=2)
    assert (table.corridor_m == 500).all() and (table.criticality == 2).all()


def test_invalid_features_are_named_and_nothing_loads(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gpd.GeoDataFrame({"name": ["ok line", "swapped", "bow tie", "odd kind", "crit"], "kind": ["telecom_cable", "telecom_cable", None, "submarine", "gas_pipeline"],
                      "criticality": [3, 3, 3, 3, 9]},
                     geometry=[LINE, shapely.LineString([(24.0, 59.5), (24.5, 95.0)]), bowtie, LINE, LINE], crs=4326).to_file(path)
    with pytest.raises(AssetLoadError) as err:
        read_asset_file(path)
    msg = str(err.value)
    assert "4 feature(s) cannot be loaded, nothing was loaded" in msg
    assert "feature 1 (swapped): latitude 95" in msg
    assert "feature 2 (bow tie): invalid polygon: Self-intersection" in msg
    assert "feature 3 (odd kind): unknown kind 'submarine'" in msg
    assert "feature 4 (crit): criticality 9 outside 1..5" in msg
    assert "ok line" not in msg


def test_line_without_kind_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nokind.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[LINE], crs=4326).to_file(path)
    with pytest.raises(AssetLoadError, match="kind unknown: give a 'kind' property or pass --kind"):
        read_asset_file(path)
    with pytest.raises(AssetLoadError, match="no such file"):
        read_asset_file(tmp_path / "missing.gpkg")
    junk = tmp_path / "junk.geojson"
    junk.write_text("{not json")
    with pytest.raises(AssetLoadError, match="junk.geojson"):
        read_asset_file(junk)


def test_antimeridian_and_multipart_lines_from_file(tmp_path: Path) -> None:
    path = tmp_path / "pacific.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "dateline", "kind": "telecom_cable"},
         "geometry": {"type": "LineString", "coordinates": [[178.0, -17.0], [-178.0, -16.0]]}},
        {"type": "Feature", "properties": {"name": "branches", "kind": "telecom_cable"},
         "geometry": {"type": "MultiLineString", "coordinates": [[[10, 55], [11, 55]], [[12, 56], [13, 56]]]}}]}))
    table = read_asset_file(path)
    dl = table.geometry[table.find("dateline")]
    assert dl.geom_type == "MultiLineString"
    assert sorted(shapely.get_coordinates(dl)[:, 0].tolist()) == [-180.0, -178.0, 178.0, 180.0]
    assert shapely.get_num_geometries(table.geometry[table.find("branches")]) == 2


def test_registry_round_trip_and_upsert(tmp_path: Path) -> None:
    path = tmp_path / "a.geojson"
    frame().to_file(path)
    reg = AssetRegistry(tmp_path / "home" / "assets.parquet")
    assert len(reg.load()) == 0
    table = read_asset_file(path)
    assert reg.upsert(table) == (2, 0)
    assert reg.upsert(table) == (0, 2)
    back = reg.load()
    assert len(back) == 2 and set(back.id) == set(table.id)
    assert shapely.equals_exact(back.geometry[back.find("Test cable")], LINE, tolerance=0)
    assert back.licence[0] == table.licence[0]
    assert len(gpd.read_parquet(reg.path)) == 2  # a standard GeoParquet file


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEAWARDEN_HOME", str(tmp_path / "home"))
    return tmp_path


def test_cli_load_list_show_export(home: Path, shared_data: Path) -> None:
    runner = CliRunner()
    power = shared_data / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson"
    res = runner.invoke(assets_cli.app, ["load", str(power)])
    assert res.exit_code == 0, res.output
    assert "loaded 62 assets" in res.output and "CC BY 4.0" in res.output
    user = home / "mine.geojson"
    frame().to_file(user)
    res = runner.invoke(assets_cli.app, ["load", str(user), "--corridor-m", "900"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(assets_cli.app, ["list"])
    assert res.exit_code == 0 and "Estlink 2" in res.output and "Test cable" in res.output and "64 assets" in res.output
    res = runner.invoke(assets_cli.app, ["show", "estlink 2"])
    assert res.exit_code == 0
    assert "gridkit:dc:14816" in res.output and "1852 m each side" in res.output and "122.4 km" in res.output
    assert "no track store configured" in res.output and "CC BY 4.0" in res.output
    res = runner.invoke(assets_cli.app, ["show", "Test cable"])
    assert "900 m each side" in res.output
    out = home / "out.geojson"
    res = runner.invoke(assets_cli.app, ["export", "-o", str(out), "--kind", "area"])
    assert res.exit_code == 0
    exported = gpd.read_file(out)
    assert list(exported["name"]) == ["Exercise box"] and exported.geometry[0].equals(AREA)


def test_cli_errors_are_clear_and_load_nothing(home: Path) -> None:
    runner = CliRunner()
    bad = home / "bad.geojson"
    gpd.GeoDataFrame({"name": ["a", "b"], "kind": ["telecom_cable", "telecom_cable"]},
                     geometry=[LINE, shapely.LineString([(0, 0), (0, 99)])], crs=4326).to_file(bad)
    res = runner.invoke(assets_cli.app, ["load", str(bad)])
    assert res.exit_code == 2 and "feature 1 (b): latitude 99" in res.output
    assert len(AssetRegistry().load()) == 0
    res = runner.invoke(assets_cli.app, ["show", "nothing"])
    assert res.exit_code == 2 and "no asset named" in res.output


def test_cli_show_uses_the_crossings_hook(home: Path) -> None:
    runner = CliRunner()
    user = home / "mine.geojson"
    frame().to_file(user)
    runner.invoke(assets_cli.app, ["load", str(user)])
    seen = []

    def provider(assets, i, since, until):
        seen.append((assets.name[i], (until - since).total_seconds()))
        return [{"mmsi": 230000001, "ts": until, "km_point": 12.5, "angle_deg": 80.0}]

    assets_cli.set_crossings_provider(provider)
    try:
        res = runner.invoke(assets_cli.app, ["show", "Test cable"])
    finally:
        assets_cli.set_crossings_provider(None)
    assert seen == [("Test cable", 86400.0)]
    assert "crossings 24 h: 1" in res.output and "mmsi 230000001" in res.output and "km 12.5" in res.output
