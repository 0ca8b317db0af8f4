"""`seawarden watch`: ingest -> detect -> alert continuously (live feeds or paced replays) and serve the console."""

from seawarden.watch.pacing import Pacer, parse_speed, schedule
from seawarden.watch.service import Input, WatchService

__all__ = ["Input", "Pacer", "WatchService", "parse_speed", "schedule"]
