"""A worker told to stop (SIGTERM) ends its open live streams at once and exits within a few
seconds, not after gunicorn's 30 s graceful timeout (issue 24). The browsers reconnect, to
another worker or instance, with Last-Event-ID."""

import pytest

from bench.stop_time import measure

STREAMS = 20


@pytest.mark.parametrize("setup", ["gevent", "gthread"])
def test_a_worker_with_open_streams_stops_within_five_seconds(setup):
    stop = measure(setup, STREAMS)
    assert stop.ended == STREAMS
    assert stop.streams_ended_after < 1.0, stop
    assert stop.seconds < 5.0, stop
