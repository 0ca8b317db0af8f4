"""Every read route of the console over a store holding the real-derived Estlink 2 drag."""

from __future__ import annotations

import io
import zipfile

from api_support import ADMIN, OPERATOR, VIEWER, auth


def test_health_needs_no_token_and_counts_the_store(client, scenario):
    r = client.get("/api/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["positions"] == scenario.positions.num_rows
    assert h["vessels"] == len(set(scenario.positions["mmsi"].to_pylist()))
    assert h["last_position"].startswith("2020-06-30T17:27")  # the demo data end: 30 min after the last crosser moors (demo.py SETTLED_S)


def test_vessels_geojson_latest_fix_static_and_risk(client, scenario):
    r = client.get("/api/vessels", params={"since_s": 86400}, headers=auth(VIEWER))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    by_mmsi = {f["properties"]["mmsi"]: f for f in fc["features"]}
    assert set(by_mmsi) == set(scenario.positions["mmsi"].to_pylist())
    dragger = by_mmsi[scenario.dragger]
    assert dragger["properties"]["name"] == "EAGLE S" and dragger["properties"]["callsign"] == "V3UQ7"
    # the dragger has anchor-drag events at a criticality-5 interconnector; most crossers have none
    risks = sorted(f["properties"]["risk"] for f in fc["features"])
    assert dragger["properties"]["risk"] >= 50 > risks[len(risks) // 2]
    one = client.get(f"/api/vessels/{scenario.dragger}", headers=auth(VIEWER)).json()
    assert one["risk"]["total"] == dragger["properties"]["risk"]  # the map and the detail agree
    # its point is its newest fix
    own = [r for r in scenario.positions.to_pylist() if r["mmsi"] == scenario.dragger and r["lat"] is not None]
    last = max(own, key=lambda r: r["ts"])
    assert dragger["geometry"]["coordinates"] == [last["lon"], last["lat"]]
    assert dragger["properties"]["ts"] == last["ts"].isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_vessels_bbox_and_window_filter(client, scenario):
    everyone = client.get("/api/vessels", params={"since_s": 86400}, headers=auth(VIEWER)).json()["features"]
    lon = sorted(f["geometry"]["coordinates"][0] for f in everyone)
    cut = (lon[0] + lon[-1]) / 2
    west = client.get("/api/vessels", params={"since_s": 86400, "bbox": f"-180,-90,{cut},90"}, headers=auth(VIEWER)).json()
    assert 0 < len(west["features"]) < len(everyone)
    assert all(f["geometry"]["coordinates"][0] <= cut for f in west["features"])
    recent = client.get("/api/vessels", params={"since_s": 60}, headers=auth(VIEWER)).json()
    assert len(recent["features"]) < len(everyone)
    bad = client.get("/api/vessels", params={"bbox": "1,2,3"}, headers=auth(VIEWER))
    assert bad.status_code == 422 and "bbox" in bad.json()["detail"]


def test_one_vessel_with_risk_breakdown_events_and_alerts(client, scenario):
    v = client.get(f"/api/vessels/{scenario.dragger}", headers=auth(VIEWER)).json()
    assert v["static"]["name"] == "EAGLE S" and v["static_history"][0]["imo"] == 9329760
    assert v["last"]["ts"].startswith("2020-06-30")
    assert abs(sum(e["points"] for e in v["risk"]["entries"]) - v["risk"]["total"]) < 0.05
    assert any(e["type"] == "anchor_drag" for e in v["events"])
    assert v["events"] == sorted(v["events"], key=lambda e: e["start"], reverse=True)
    assert any(a["kind"] == "seabed_threat" and a["asset_name"] == "Estlink 2" for a in v["alerts"])
    assert client.get("/api/vessels/123", headers=auth(VIEWER)).status_code == 404


def test_track_default_window_and_explicit_window(client, scenario):
    t = client.get(f"/api/vessels/{scenario.dragger}/track", headers=auth(VIEWER)).json()
    coords, props = t["geometry"]["coordinates"], t["properties"]
    assert t["geometry"]["type"] == "LineString" and len(coords) == len(props["ts"]) == len(props["sog"]) > 10
    assert props["ts"] == sorted(props["ts"])
    first, last = props["ts"][0], props["ts"][-1]
    part = client.get(f"/api/vessels/{scenario.dragger}/track", params={"from": first, "to": last}, headers=auth(VIEWER)).json()
    assert len(part["properties"]["ts"]) == len(props["ts"]) - 1  # half-open window: `to` itself is excluded
    bad = client.get(f"/api/vessels/{scenario.dragger}/track", params={"from": "yesterday"}, headers=auth(VIEWER))
    assert bad.status_code == 422 and "from" in bad.json()["detail"]


def test_assets_with_risk_and_one_asset_with_crossings(client, scenario):
    fc = client.get("/api/assets", headers=auth(VIEWER)).json()
    names = {f["properties"]["name"]: f for f in fc["features"]}
    assert set(names) == {"Estlink 2", "Estlink 1"}
    e2 = names["Estlink 2"]
    assert e2["geometry"]["type"] in ("LineString", "MultiLineString")
    assert e2["properties"]["risk"] > names["Estlink 1"]["properties"]["risk"]  # the drag happened at Estlink 2
    assert len(e2["properties"]["risk_entries"]) <= 3
    one = client.get(f"/api/assets/{e2['id']}", headers=auth(VIEWER)).json()
    p = one["properties"]
    assert abs(sum(e["points"] for e in p["risk_breakdown"]) - p["risk"]) < 0.05
    assert any(c["mmsi"] == scenario.dragger for c in p["crossings"])
    assert any(e["type"] == "anchor_drag" for e in p["events"])
    assert client.get("/api/assets/Estlink 2", headers=auth(VIEWER)).json()["id"] == e2["id"]  # by name too
    assert client.get("/api/assets/nowhere", headers=auth(VIEWER)).status_code == 404


def test_events_filters(client, scenario):
    all_ev = client.get("/api/events", headers=auth(VIEWER)).json()
    assert all_ev and all(set(e) >= {"event_id", "type", "mmsi", "start", "evidence", "alert_id"} for e in all_ev)
    drags = client.get("/api/events", params={"type": "anchor_drag"}, headers=auth(VIEWER)).json()
    assert drags and all(e["type"] == "anchor_drag" for e in drags)
    mine = client.get("/api/events", params={"mmsi": scenario.dragger, "limit": 2}, headers=auth(VIEWER)).json()
    assert 0 < len(mine) <= 2 and all(e["mmsi"] == scenario.dragger for e in mine)
    late = client.get("/api/events", params={"since": "2030-01-01T00:00:00Z"}, headers=auth(VIEWER)).json()
    assert late == []


def test_suspects_rank_the_dragger_first(client, scenario):
    r = client.get("/api/suspects", params={"asset": "Estlink 2", "from": "2020-06-30T00:00:00Z", "to": "2020-07-01T00:00:00Z"},
                   headers=auth(VIEWER))
    assert r.status_code == 200
    rep = r.json()
    assert rep["asset"]["name"] == "Estlink 2" and rep["suspects"][0]["mmsi"] == scenario.dragger
    assert client.get("/api/suspects", params={"asset": "Atlantis"}, headers=auth(VIEWER)).status_code in (404, 422)


def test_evidence_packs_are_zips_with_report_geojson_csv(client, scenario):
    alerts = client.get("/api/alerts", params={"mmsi": scenario.dragger}, headers=auth(VIEWER)).json()
    r = client.get(f"/api/evidence/alerts/{alerts[0]['id']}", headers=auth(VIEWER))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert {n.split("/")[-1] for n in names} == {"report.html", "track.geojson", "track.csv", "manifest.json"}
    s = client.get("/api/evidence/suspects", params={"asset": "Estlink 2", "mmsi": scenario.dragger, "from": "2020-06-30T00:00:00Z",
                                                     "to": "2020-07-01T00:00:00Z"}, headers=auth(VIEWER))
    assert s.status_code == 200 and zipfile.ZipFile(io.BytesIO(s.content)).testzip() is None
    assert client.get("/api/evidence/alerts/Anope", headers=auth(VIEWER)).status_code == 404


def test_crossing_series_for_the_plot(client, scenario):
    rep = client.get("/api/suspects", params={"asset": "Estlink 2", "from": "2020-06-30T00:00:00Z", "to": "2020-07-01T00:00:00Z"},
                     headers=auth(VIEWER)).json()
    top = rep["suspects"][0]
    at = top["crossings"][0]["time"]
    asset_id = rep["asset"]["id"]
    x = client.get("/api/crossing", params={"mmsi": top["mmsi"], "asset_id": asset_id, "at": at, "minutes": 60}, headers=auth(VIEWER)).json()
    assert len(x["ts"]) == len(x["sog"]) == len(x["cog"]) > 5
    assert x["crossings"] and abs(x["crossings"][0]["km_point"] - top["crossings"][0]["km_point"]) < 0.5


def test_config_is_admin_only_and_shows_what_is_in_force(client):
    assert client.get("/api/config", headers=auth(OPERATOR)).status_code == 403
    cfg = client.get("/api/config", headers=auth(ADMIN)).json()
    assert "alerts" in cfg["alert"] and cfg["limits"]["max_body_bytes"] == 1 << 20


def test_metrics_prometheus_text(client):
    r = client.get("/api/metrics", headers=auth(VIEWER))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'seawarden_alerts{status="open"}' in r.text and "seawarden_live_subscribers 0.0" in r.text
    listed = client.get("/api/alerts", params={"limit": 5000}, headers=auth(VIEWER)).json()
    by_status = {s: sum(a["status"] == s for a in listed) for s in {a["status"] for a in listed}}
    assert by_status and all(f'seawarden_alerts{{status="{s}"}} {float(n)}' in r.text for s, n in by_status.items())


def test_openapi_offline_docs_and_page(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").json()
    validate(spec)  # raises on an invalid OpenAPI document
    for path in ("/api/vessels", "/api/vessels/{mmsi}/track", "/api/alerts/{alert_id}/resolve", "/api/live", "/api/suspects",
                 "/api/evidence/alerts/{alert_id}", "/api/crossing", "/api/assets/{asset_id}", "/api/metrics", "/api/health"):
        assert path in spec["paths"], path
    docs = client.get("/api/docs").text
    assert "/api/openapi.json" in docs and "http" not in docs.replace("/api/openapi.json", "").split("<script>")[1].split("fetch(")[0]
    assert client.get("/").status_code == 200
