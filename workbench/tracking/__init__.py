"""Tracking: the explicit client (run ids passed in) and the notebook-facing fluent API."""
