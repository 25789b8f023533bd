"""bench/RESULTS.md: the harness rewrites its own section only, and names the worst miss."""

from bench.results import Figure, Report, at_least, below, percentile, write_section

BEFORE = "# Benchmark results\n\nIntro kept.\n\n"
AFTER = "## SSE workers\n\n| streams | ms |\n| --- | --- |\n| 1500 | 10 |\n"


def report(p95_ms: float) -> Report:
    report = Report()
    report.add(
        Figure("tap.p95@1x", "Tap latency p95 at 1x", p95_ms, "ms", below(50, " ms")),
        Figure("tap.ratio@1x", "Status changes / baseline inserts at 1x", 0.4, "", at_least(0.5)),
    )
    return report


def test_section_is_appended_then_replaced_in_place(tmp_path):
    """A file without the section gets it appended; a second run replaces it and keeps the
    text before and after it."""
    path = tmp_path / "RESULTS.md"
    path.write_text(BEFORE + AFTER)
    write_section(path, report(80.5).markdown())
    first = path.read_text()
    assert first.startswith(BEFORE + AFTER) and "80.5 ms" in first

    path.write_text(first.replace(AFTER, "") + "\n" + AFTER)  # someone appends below it
    write_section(path, report(20.5).markdown())
    second = path.read_text()
    assert second.startswith(BEFORE) and second.endswith(AFTER)
    assert "80.5 ms" not in second and "20.5 ms" in second
    assert second.count("<!-- bench:harness:start") == 1


def test_worst_offender_is_the_goal_missed_by_the_largest_factor():
    """p95 80.5 ms against < 50 ms is 1.61x off; a ratio of 0.4 against >= 0.5 is 1.25x off."""
    assert report(80.5).worst().key == "tap.p95@1x"
    assert report(55.5).worst().key == "tap.ratio@1x"
    assert [f.key for f in report(20.5).missed] == ["tap.ratio@1x"]
    assert "Worst offender: Status changes / baseline inserts at 1x" in report(20.5).markdown()


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 95) == 3.0
    assert percentile([], 95) is None
