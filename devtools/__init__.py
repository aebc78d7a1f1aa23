"""Tools for running the portal on a laptop and in tests (not imported by the app)."""
