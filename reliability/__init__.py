"""Reliability suites run against a live gunicorn server: fuzz, faults and soak.

Each suite starts what it needs on free loopback ports and stops it on the way
out: `stack` holds the process handling (gunicorn with the repository's
gunicorn.conf.py, the mock catalog, Redis, PostgreSQL). docs/reliability.md says
what each suite covers and how to run it.
"""
