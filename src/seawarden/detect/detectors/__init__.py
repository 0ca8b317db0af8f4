"""One module per detector; see seawarden.detect.registry for the list."""
