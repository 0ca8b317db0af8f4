"""track: see README for the pipeline ingest -> track -> detect -> alert -> respond."""
