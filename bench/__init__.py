"""HEART Field's benchmarks: `python -m bench` (see README, "Benchmarks").

Starts the app as production does (gunicorn, gthread workers, production settings) on a
seeded database at 1x, 10x and 100x data, measures status taps under load against a bare
Flask baseline served the same way in the same run, the time from a tap on a phone to the
dispatch board, server time and SQL statements per page, and the responder's first
download; writes its section of bench/RESULTS.md and exits 1 when a goal is missed.
"""
