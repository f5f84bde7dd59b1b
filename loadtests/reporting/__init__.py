"""Offline reporting: run directories -> comparisons -> Markdown reports, charts, an index.
Runs on the host after the load, never inside locust; matplotlib is imported only to draw."""
