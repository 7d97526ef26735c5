"""A target opened for a run, and each test's exchanges recorded and judged."""
