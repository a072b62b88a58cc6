"""Facts about the edge: what an HTTP client sees at each configured URL."""
