"""Tokens and roles (401/403), body-size and rate limits (413/429), operator transitions with the token's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api_support import ADMIN, OPERATOR, VIEWER, auth, make_console
from seawarden.api import Limits, TokenRegistry, create_app
from seawarden.api.auth import Role, TokenFileError
from seawarden.api.limits import TokenBuckets

READ_ROUTES = ["/api/vessels", "/api/assets", "/api/alerts", "/api/events", "/api/metrics", "/api/suspects?asset=Estlink%202",
               "/api/crossing?mmsi=1&asset_id=x&at=2020-06-30T00:00:00Z", "/api/evidence/alerts/x", "/api/live"]


@pytest.mark.parametrize("path", READ_ROUTES)
def test_every_api_route_needs_a_token(client, path):
    assert client.get(path).status_code == 401
    r = client.get(path, headers=auth("not-a-token-at-all"))
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_roles_gate_writes(client):
    alert = client.get("/api/alerts", headers=auth(VIEWER)).json()[0]
    assert client.post(f"/api/alerts/{alert['id']}/acknowledge").status_code == 401
    assert client.post(f"/api/alerts/{alert['id']}/acknowledge", headers=auth(VIEWER)).status_code == 403
    fc = {"type": "FeatureCollection", "features": []}
    assert client.post("/api/assets", json=fc, headers=auth(OPERATOR)).status_code == 403
    assert client.delete("/api/assets/x", headers=auth(OPERATOR)).status_code == 403
    assert client.get("/api/config", headers=auth(VIEWER)).status_code == 403


def test_query_token_only_for_the_live_stream(client):
    assert client.get(f"/api/alerts?token={VIEWER}").status_code == 401


def test_acknowledge_resolve_dismiss_change_state_and_history(client, scenario):
    alerts = client.get("/api/alerts", params={"status": "open"}, headers=auth(VIEWER)).json()
    assert len(alerts) >= 2
    a, b = alerts[0]["id"], alerts[1]["id"]
    r = client.post(f"/api/alerts/{a}/acknowledge", headers=auth(OPERATOR))
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["status_by"] == "olga"
    r = client.post(f"/api/alerts/{a}/resolve", json={"reason": "patrol boat on scene, anchor raised"}, headers=auth(ADMIN))
    done = r.json()
    assert done["status"] == "resolved" and done["status_reason"] == "patrol boat on scene, anchor raised"
    actions = [(h["action"], h["by"]) for h in done["history"]]
    assert actions[0] == ("opened", None) and actions[-2:] == [("acknowledge", "olga"), ("resolve", "root")]
    # illegal transitions: 409 with the reason
    r = client.post(f"/api/alerts/{a}/acknowledge", headers=auth(OPERATOR))
    assert r.status_code == 409 and "resolved" in r.json()["detail"]
    # a reason is required to close
    assert client.post(f"/api/alerts/{b}/dismiss", json={}, headers=auth(OPERATOR)).status_code == 422
    assert client.post(f"/api/alerts/{b}/dismiss", json={"reason": "  "}, headers=auth(OPERATOR)).status_code == 422
    d = client.post(f"/api/alerts/{b}/dismiss", json={"reason": "exercise"}, headers=auth(OPERATOR)).json()
    assert d["status"] == "dismissed" and d["history"][-1]["by"] == "olga"
    assert client.get(f"/api/alerts/{b}", headers=auth(VIEWER)).json()["status"] == "dismissed"
    statuses = {x["id"]: x["status"] for x in client.get("/api/alerts", headers=auth(VIEWER)).json()}
    assert statuses[a] == "resolved" and statuses[b] == "dismissed"
    assert client.post("/api/alerts/Anone/acknowledge", headers=auth(OPERATOR)).status_code == 404


def test_body_over_the_limit_is_413(loaded_store, estlink):
    console = make_console(loaded_store, estlink, limits=Limits(max_body_bytes=2048, rate_per_s=1000, burst=1000))
    with TestClient(create_app(console)) as c:
        alert = c.get("/api/alerts", headers=auth(VIEWER)).json()[0]
        big = {"reason": "x" * 5000}
        r = c.post(f"/api/alerts/{alert['id']}/resolve", json=big, headers=auth(OPERATOR))
        assert r.status_code == 413
        # a chunked body without Content-Length is counted while it streams
        r = c.post(f"/api/alerts/{alert['id']}/resolve", content=iter([b'{"reason": "', b"y" * 4000, b'"}']),
                   headers={**auth(OPERATOR), "Content-Type": "application/json"})
        assert r.status_code == 413
        assert c.get(f"/api/alerts/{alert['id']}", headers=auth(VIEWER)).json()["status"] == "open"


def test_rate_limit_429_with_retry_after(loaded_store, estlink):
    console = make_console(loaded_store, estlink, limits=Limits(rate_per_s=1, burst=3))
    with TestClient(create_app(console)) as c:
        codes = [c.get("/api/health", headers=auth(VIEWER)).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        r = c.get("/api/health", headers=auth(VIEWER))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # another token has its own bucket
        assert c.get("/api/health", headers=auth(OPERATOR)).status_code == 200


def test_token_bucket_refills_at_the_rate():
    now = [0.0]
    b = TokenBuckets(rate=2.0, burst=2, clock=lambda: now[0])
    assert b.take("k") == 0 and b.take("k") == 0
    assert b.take("k") == pytest.approx(0.5)
    now[0] += 0.5
    assert b.take("k") == 0 and b.rejected == 1


def test_admin_loads_and_deletes_assets(client, estlink):
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "test-cable", "name": "Test Cable",
          "kind": "power_cable", "criticality": 4}, "geometry": {"type": "LineString", "coordinates": [[24.0, 59.5], [25.0, 60.0]]}}]}
    r = client.post("/api/assets", json=fc, headers=auth(ADMIN))
    assert r.status_code == 200, r.text
    assert r.json()["added"] == 1 and r.json()["total"] == len(estlink) + 1
    (new_id,) = r.json()["ids"]
    assert "test-cable" in new_id
    names = {f["properties"]["name"] for f in client.get("/api/assets", headers=auth(VIEWER)).json()["features"]}
    assert "Test Cable" in names
    bad = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "p", "kind": "power_cable"},
           "geometry": {"type": "Point", "coordinates": [24.0, 59.5]}}]}
    r = client.post("/api/assets", json=bad, headers=auth(ADMIN))
    assert r.status_code == 422 and "request body" in r.json()["detail"]
    assert client.post("/api/assets", content=b"{not json", headers=auth(ADMIN)).status_code == 422
    assert client.delete(f"/api/assets/{new_id}", headers=auth(ADMIN)).status_code == 200
    assert client.delete(f"/api/assets/{new_id}", headers=auth(ADMIN)).status_code == 404
    assert "Test Cable" not in {f["properties"]["name"] for f in client.get("/api/assets", headers=auth(VIEWER)).json()["features"]}


def test_tokens_file_generated_once_and_validated(tmp_path: Path):
    path = tmp_path / "home" / "tokens.toml"
    reg, created = TokenRegistry.load_or_create(path)
    assert created and oct(path.stat().st_mode & 0o777) == "0o600"
    again, created2 = TokenRegistry.load_or_create(path)
    assert not created2
    tok = reg.token_of("operator")
    assert again.lookup(tok).role == Role.operator and again.lookup(tok).name == "operator"
    assert again.lookup(tok + "x") is None and reg.best_console_token()[0] == "operator"
    bad = tmp_path / "bad.toml"
    bad.write_text('[tokens.eve]\ntoken = "short"\nrole = "admin"\n')
    with pytest.raises(TokenFileError, match=r"bad.toml: \[tokens.eve\]: token must be"):
        TokenRegistry.read(bad)
    bad.write_text('[tokens.eve]\ntoken = "long-enough-token-123"\nrole = "god"\n')
    with pytest.raises(TokenFileError, match="role 'god'"):
        TokenRegistry.read(bad)
    with pytest.raises(TokenFileError, match="not found"):
        TokenRegistry.read(tmp_path / "missing.toml")


def test_read_only_console_refuses_writes_with_503(loaded_store, estlink):
    console = make_console(loaded_store, estlink)
    console.actions = None
    with TestClient(create_app(console)) as c:
        alert = c.get("/api/alerts", headers=auth(VIEWER)).json()[0]
        assert c.post(f"/api/alerts/{alert['id']}/acknowledge", headers=auth(OPERATOR)).status_code == 503
        assert json.loads(c.get("/api/health").text)["writable"] is False
