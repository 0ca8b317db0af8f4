"""Live benchmark: a loopback TCP NMEA feed at >= 20 k sentences/s into `seawarden watch`.

Feed: the real DMA sample (bench/realdata.py, replicated with shifted times), decoded and re-encoded
with c:/s: tag blocks (seawarden.ingest.nmea.encode), plus copies of the Eagle S-like dragger of the
real-derived Estlink 2 scenario (alert/forensics/demo.py) under their own MMSIs, staggered in time,
all merged by time and served by seawarden's FeedServer at a fixed rate.

Measured: sentence -> alert latency on the live push (SSE /api/live): for every alert change, the
wall time it arrived minus the time the sentence carrying the alert's latest evidence fix (its MMSI,
at last_event_ms) was sent; dropped sentences: sent vs the lines the server counted (decoded +
rejected, /api/metrics); position push latency too (coalesced at 0.5 s by design).
Peer, same feed, same rate, same run: a plain socket reader decoding with pyais -- latency from the
send of the same evidence sentences to their decoding. The ratio is ours / peer.

    python bench/live.py [--rate 20000] [--seconds 60] [--draggers 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realdata import PERIOD_S, SHARED, replicated_nmea  # noqa: E402

from seawarden.ingest.fetch.feed import FeedServer, sentences_from_bytes  # noqa: E402
from seawarden.ingest.nmea import NmeaDecoder  # noqa: E402
from seawarden.ingest.nmea.encode import EncodedNmea, encode  # noqa: E402
from seawarden.schema import POSITIONS  # noqa: E402

MIN = 60_000
BEFORE_MIN, AFTER_MIN = 125, 45  # a dragger needs its approach before and the drag after its reference time


def build_feed(n_sentences: int, draggers: int) -> tuple[EncodedNmea, pa.Table, list[int]]:
    """Real DMA traffic re-encoded plus `draggers` injected drags, time-ordered; also the positions and dragger MMSIs."""
    from seawarden.alert.forensics.demo import estlink2_drag_scenario

    raw, _ = replicated_nmea(n_sentences)
    dec = NmeaDecoder()
    b = dec.feed(raw)
    static = pa.concat_tables([b.static, dec.flush().static])
    real = b.positions
    t = real["ts"].cast(pa.int64()).to_numpy()
    t0, t1 = int(t.min()), int(t.max())
    first, last = t0 + BEFORE_MIN * MIN, t1 - AFTER_MIN * MIN
    if last < first:
        span = (t1 - t0) / MIN
        raise SystemExit(f"the feed spans {span:.0f} min of data time; a drag needs {BEFORE_MIN + AFTER_MIN}: run longer")
    sc = estlink2_drag_scenario(SHARED)
    refs = np.linspace(first, last, draggers).astype(np.int64)
    parts = [real]
    mmsis = []
    for k, ref in enumerate(refs):
        p = sc.positions if k == 0 else sc.positions.filter(pc.equal(sc.positions["mmsi"], sc.dragger))
        ts = p["ts"].cast(pa.int64()).to_numpy() + (int(ref) - sc.t_ref_ms)
        keep = (ts >= t0) & (ts <= t1)
        mmsi = sc.dragger if k == 0 else 230_990_000 + k
        p = p.set_column(1, "ts", pa.array(ts).cast(POSITIONS.field("ts").type))
        if k:
            p = p.set_column(0, "mmsi", pa.array(np.full(p.num_rows, mmsi, np.uint32)))
        parts.append(p.filter(pa.array(keep)).cast(POSITIONS))
        mmsis.append(mmsi)
    positions = pa.concat_tables(parts)
    return encode(positions, static), positions, mmsis


class SseReader(threading.Thread):
    """Collects alert changes (with arrival time) and position frames from /api/live."""

    def __init__(self, url: str, token: str) -> None:
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.connected = threading.Event()
        self.alerts: list[tuple[float, dict]] = []
        self.positions: list[tuple[float, list[dict]]] = []
        self.stop = False

    def run(self) -> None:
        import httpx
        import orjson

        with httpx.Client(timeout=None) as client, contextlib.suppress(httpx.HTTPError):
            with client.stream("GET", self.url, headers={"Authorization": f"Bearer {self.token}"}) as resp:
                resp.raise_for_status()
                self.connected.set()
                event = None
                for line in resp.iter_lines():
                    if self.stop:
                        break
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        now = time.time()
                        if event == "alert":
                            self.alerts.append((now, orjson.loads(line[6:])))
                        elif event == "positions":
                            d = orjson.loads(line[6:])
                            if not d.get("snapshot"):
                                self.positions.append((now, d["vessels"]))


def message_units(enc: EncodedNmea, feed_offsets: np.ndarray) -> np.ndarray:
    """Feed unit (sentence) that completes each encoded message (its last part)."""
    return np.searchsorted(feed_offsets, enc.offsets[1:] - 1, side="right") - 1


def metric(text: str, name: str) -> float:
    m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def evidence_latency(samples: list[tuple[float, int, int]], mmsi: np.ndarray, ts: np.ndarray, sent_at) -> np.ndarray:
    """(arrival, mmsi, last_event_ms) -> arrival minus the send time of that vessel's newest fix <= last_event_ms."""
    out = []
    for arrived, m, t in samples:
        idx = np.flatnonzero((mmsi == m) & (ts <= t))
        if len(idx):
            out.append(arrived - sent_at(idx[np.argmax(ts[idx])]))
    return np.array(out)


def run_watch(feed_port: int, api_port: int, workdir: Path) -> tuple[subprocess.Popen, str]:
    from seawarden.api.auth import TokenRegistry

    tokens = workdir / "tokens.toml"
    registry, _ = TokenRegistry.load_or_create(tokens)
    code = "import typer; from seawarden.watch.cli import watch; typer.run(watch)"
    cmd = [sys.executable, "-c", code, f"tcp://127.0.0.1:{feed_port}", "--assets", str(SHARED), "--store",
           str(workdir / "live.duckdb"), "--tokens", str(tokens), "--port", str(api_port), "--no-browser"]
    env = {**os.environ, "SEAWARDEN_HOME": str(workdir)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "watch.log", "wb"))
    return proc, registry.token_of("viewer")


def wait_http(url: str, token: str, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"watch exited with {proc.returncode}")
        try:
            if httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"watch did not answer at {url} in {timeout:.0f} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_seawarden(sentences, rate: float, workdir: Path) -> dict:
    import httpx

    gate = threading.Event()
    server = FeedServer(sentences, rate=rate, gate=gate, hold_open=True)
    feed_port = server.start()[1]
    api_port = free_port()
    proc, token = run_watch(feed_port, api_port, workdir)
    base = f"http://127.0.0.1:{api_port}"
    try:
        wait_http(base + "/api/health", token, proc)
        sse = SseReader(base + "/api/live", token)
        sse.start()
        sse.connected.wait(30)
        while len(server._threads) < 2:  # the watch's TCP source has connected
            time.sleep(0.05)
        t_start = time.time()
        gate.set()
        server.finished.wait(timeout=len(sentences) / rate * 5 + 60)
        t_sent = time.time()
        sent_lines = sentences.buf.count(b"\n")
        lines, stable = -1.0, 0
        while stable < 3 and time.time() - t_sent < 120:  # until the server has counted everything it will
            text = httpx.get(base + "/api/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10).text
            now_lines = metric(text, "seawarden_ingest_lines_total")
            stable = stable + 1 if now_lines == lines else 0
            lines = now_lines
            if lines >= sent_lines:
                break
            time.sleep(1.0)
        time.sleep(2.0)
        sse.stop = True
        return {"sse": sse, "server": server, "sent_lines": sent_lines, "counted_lines": lines, "metrics": text,
                "send_s": t_sent - t_start}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.stop()


def bench_pyais(sentences, rate: float, evidence_units: np.ndarray) -> dict:
    """The peer: read the same feed from a plain socket and decode every sentence with pyais."""
    import socket

    from pyais.messages import NMEAMessage

    server = FeedServer(sentences, rate=rate)
    port = server.start()[1]
    want = set(evidence_units.tolist())
    decoded_at: dict[int, float] = {}
    errors = decoded = 0
    unit = 0
    carry = b""
    with socket.create_connection(("127.0.0.1", port)) as c:
        while True:
            data = c.recv(1 << 16)
            if not data:
                break
            buf = carry + data
            cut = buf.rfind(b"\n") + 1
            carry = buf[cut:]
            for line in buf[:cut].splitlines():
                s = line[line.rfind(b"\\") + 1 :] if line.startswith(b"\\") else line
                try:
                    msg = NMEAMessage(s)
                    if msg.frag_cnt == 1:
                        msg.decode()
                    decoded += 1
                except Exception:  # noqa: BLE001 - counted
                    errors += 1
                if unit in want:
                    decoded_at[unit] = time.time()
                unit += 1
    server.wait(1, timeout=10)
    server.stop()
    return {"server": server, "decoded": decoded, "errors": errors, "decoded_at": decoded_at, "units": unit}


def pct(a: np.ndarray, q: float) -> float:
    return float(np.percentile(a, q) * 1000) if len(a) else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=20_000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--draggers", type=int, default=3)
    args = ap.parse_args()

    t = time.time()
    enc, positions, draggers = build_feed(int(args.rate * args.seconds), args.draggers)
    sentences = sentences_from_bytes(enc.data)
    units = message_units(enc, sentences.offsets)
    print(f"feed: {len(sentences):,} sentences ({len(enc):,} messages, {len(draggers)} injected draggers) built in "
          f"{time.time() - t:.1f} s; skipped: {dict(enc.skipped) or 'none'}")
    is_pos = enc.table == 0
    msg_mmsi = np.zeros(len(enc), np.int64)
    msg_ts = np.zeros(len(enc), np.int64)
    msg_mmsi[is_pos] = positions["mmsi"].to_numpy()[enc.row[is_pos]]
    msg_ts[is_pos] = positions["ts"].cast(pa.int64()).to_numpy()[enc.row[is_pos]]
    msg_ts[~is_pos] = np.iinfo(np.int64).max  # static messages carry no evidence fix

    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_seawarden(sentences, args.rate, Path(tmp))
    server = ours["server"]
    sent_at = lambda i: float(server.sent_at(np.array([units[i]]))[0])  # noqa: E731
    alerts = [(at, a["mmsi"], a["last_event_ms"]) for at, a in ours["sse"].alerts]
    lat = evidence_latency(alerts, msg_mmsi, msg_ts, sent_at)
    pos_samples = [(at, v["mmsi"], int(np.datetime64(v["ts"].rstrip("Z"), "ms").astype(np.int64)))
                   for at, frame in ours["sse"].positions[:: max(1, len(ours["sse"].positions) // 200)]
                   for v in frame[:20] if isinstance(v.get("ts"), str)]
    pos_lat = evidence_latency(pos_samples, msg_mmsi, msg_ts, sent_at)
    dropped = ours["sent_lines"] - ours["counted_lines"]
    rejected = {m.group(1): float(m.group(2)) for m in
                re.finditer(r'^seawarden_ingest_rejected_total\{reason="([^"]+)"\} ([0-9.e+]+)$', ours["metrics"], re.M)}
    kinds = sorted({a["kind"] for _, a in ours["sse"].alerts})
    dragger_alerts = sorted({a["mmsi"] for _, a in ours["sse"].alerts if a["kind"] == "seabed_threat"} & set(draggers))

    # the peer, on the same feed at the same rate, for the same evidence sentences
    evid_units = np.array([units[np.flatnonzero((msg_mmsi == m) & (msg_ts <= ts))[np.argmax(
        msg_ts[(msg_mmsi == m) & (msg_ts <= ts)])]] for _, m, ts in alerts if np.any((msg_mmsi == m) & (msg_ts <= ts))],
        dtype=np.int64)
    peer = bench_pyais(sentences, args.rate, evid_units)
    peer_lat = np.array([peer["decoded_at"][u] - float(peer["server"].sent_at(np.array([u]))[0]) for u in evid_units
                         if u in peer["decoded_at"]])

    rate_ours = len(sentences) / ours["send_s"]
    print(f"seawarden watch: {len(sentences):,} sentences sent in {ours['send_s']:.1f} s ({rate_ours:,.0f}/s, "
          f"max send lag {server.max_lag_s * 1000:.0f} ms); lines sent {ours['sent_lines']:,}, counted by the server "
          f"{ours['counted_lines']:,.0f} -> dropped {dropped:,.0f}; rejected {rejected or 'none'}")
    print(f"  alerts on the push: {len(alerts)} changes, kinds {kinds}; injected draggers alerted: "
          f"{len(dragger_alerts)}/{len(draggers)}")
    print(f"  sentence -> alert on /api/live: p50 {pct(lat, 50):.0f} ms, p99 {pct(lat, 99):.0f} ms (n={len(lat)}; "
          f"target p99 < 100 ms)")
    print(f"  sentence -> position on /api/live (coalesced every 0.5 s): p50 {pct(pos_lat, 50):.0f} ms, "
          f"p99 {pct(pos_lat, 99):.0f} ms (n={len(pos_lat)})")
    print(f"peer pyais 3.3.1 (plain socket reader, decode only): {peer['decoded']:,} decoded, {peer['errors']:,} errors "
          f"of {peer['units']:,}; send lag {peer['server'].max_lag_s * 1000:.0f} ms; same evidence sentences -> decoded: "
          f"p50 {pct(peer_lat, 50):.0f} ms, p99 {pct(peer_lat, 99):.0f} ms (n={len(peer_lat)})")
    if len(lat) and len(peer_lat):
        print(f"ratio seawarden (decode+track+detect+alert+SSE) / pyais (decode only), p99 latency: "
              f"{pct(lat, 99) / max(pct(peer_lat, 99), 1e-3):.1f}x")


if __name__ == "__main__":
    main()
