"""seawarden: watch ship traffic over critical undersea infrastructure."""

__version__ = "0.1.0"
