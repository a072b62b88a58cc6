"""Gatherers: the only layer that talks to the world. They return facts, never verdicts."""
