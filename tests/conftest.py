"""Shared pytest setup."""

# jp_fetch, jp_serverapp, jp_root_dir, ... for the server extension tests.
pytest_plugins = ["pytest_jupyter.jupyter_server"]
