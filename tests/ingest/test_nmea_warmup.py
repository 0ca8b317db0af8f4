"""The live decoder's warm-up: after it, a live feed compiles nothing (each numba compilation met mid-stream stalled the
socket thread: the first alerts of a first `watch` after an install came 1.8-2.7 s late)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from seawarden.ingest.nmea.decoder import ragged_strings

PROBE = """
import gzip, sys
from numba.core import event
compiled = []
class Listener(event.Listener):
    def on_start(self, e): pass
    def on_end(self, e):
        f = getattr((e.data or {}).get("dispatcher"), "py_func", None)
        if f is not None and f.__module__.startswith("seawarden"): compiled.append(f.__qualname__)
event.register("numba:compile", Listener())
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.nmea.warmup import warm_up
warm_up()
warmed = len(compiled)
compiled.clear()
raw = gzip.open(sys.argv[1]).read()
decoder = NmeaDecoder(origin="tcp://probe")
for i in range(0, len(raw), 20_000):  # as a socket hands it over: bytes, cut anywhere
    decoder.feed(raw[i:i + 20_000])
decoder.flush()
print(warmed, sorted(set(compiled)))
"""


def test_after_the_warm_up_a_live_feed_compiles_nothing(shared_data: Path, tmp_path: Path) -> None:
    """In a fresh process with an empty numba cache, as on the first run after an install."""
    sample = shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    out = subprocess.run([sys.executable, "-c", PROBE, str(sample)], env=env, capture_output=True, text=True, check=True)
    warmed, rest = out.stdout.strip().split(" ", 1)
    assert int(warmed) > 10, "the warm-up compiled the decoder's kernels"
    assert rest == "[]", f"compiled while the feed ran: {rest}"


def test_ragged_strings_read_writable_and_read_only_buffers_alike() -> None:
    text = b"AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"
    starts, ends = np.array([0, 6, 14]), np.array([5, 9, 20])
    writable = np.frombuffer(bytearray(text), np.uint8)
    read_only = np.frombuffer(text, np.uint8)
    more = np.frombuffer(b"tail", np.uint8)
    assert writable.flags.writeable and not read_only.flags.writeable
    want = [text[s:e].decode() for s, e in zip(starts, ends)]
    assert ragged_strings(writable, starts, ends).to_pylist() == ragged_strings(read_only, starts, ends).to_pylist() == want
    both = ragged_strings(writable, np.array([0, len(text)]), np.array([5, len(text) + 4]), more.copy())
    assert both.to_pylist() == ["AIVDM", "tail"] and writable.flags.writeable  # the caller's array is left as it was
