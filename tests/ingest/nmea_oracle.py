"""pyais as an independent, test-only oracle: which messages a corpus holds and their fields."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from pyais.messages import NMEAMessage

SENTENCE = re.compile(rb"[!$][A-Z-]{2}VD[MO],[^*\r\n]*\*[0-9A-Fa-f]{2}")


def read_lines(path: Path) -> list[bytes]:
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    return data.splitlines()


@dataclass
class OracleMessage:
    sentences: list[bytes]  # the sentence(s) as they stand in the file, tag blocks and $PGHP removed
    fields: dict  # pyais' asdict(enum_as_int=True)
    nbits: int


def oracle_messages(path: Path) -> list[OracleMessage]:
    """Every message that pyais assembles and decodes from the file, in file order.

    Sentences with a bad checksum or an unknown talker are left out (pyais decodes some of
    them anyway; seawarden rejects them, which other tests check).
    """
    out: list[OracleMessage] = []
    pending: dict[tuple, list[tuple[bytes, NMEAMessage]]] = {}
    for line in read_lines(path):
        m = SENTENCE.search(line)
        if not m:
            continue
        raw = m.group(0)
        if raw[1:3] == b"--":
            continue
        try:
            msg = NMEAMessage(raw)
        except Exception:  # noqa: BLE001 - pyais refuses it: not part of the oracle set
            continue
        if not msg.is_valid:
            continue
        if msg.frag_cnt == 1:
            group = [(raw, msg)]
        else:
            key = (msg.seq_id, msg.channel, msg.frag_cnt)
            parts = pending.setdefault(key, [])
            if msg.frag_num == 1:
                parts.clear()
            parts.append((raw, msg))
            if len(parts) < msg.frag_cnt or [p.frag_num for _, p in parts] != list(range(1, msg.frag_cnt + 1)):
                continue
            group = pending.pop(key)
        try:
            assembled = NMEAMessage.assemble_from_iterable([p for _, p in group])
            decoded = assembled.decode()
            fields = decoded.asdict(enum_as_int=True)
        except Exception:  # noqa: BLE001
            continue
        out.append(OracleMessage([r for r, _ in group], fields, len(assembled.bv)))
    return out
