"""NMEA 0183 AIS decoding: numba kernels over raw bytes, layouts declared as data."""

from seawarden.ingest.nmea.decoder import Clock, NmeaDecoder

__all__ = ["Clock", "NmeaDecoder"]
