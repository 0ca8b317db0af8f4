"""The seabed: registry of protected infrastructure and the spatial engine."""
