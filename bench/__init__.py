"""Benchmarks of the favorites service (dev-only: nothing here is imported by the service)."""
