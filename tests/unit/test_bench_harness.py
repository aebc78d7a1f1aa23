"""The benchmark harnesses' own logic (the runs themselves are `make bench`, `make load`, `make faults`)."""

from __future__ import annotations

from datetime import UTC, datetime

from bench import faults, load, pages
from bench.floor import _rows
from bench.harness import Timing, percentile, summarize


def test_it_interpolates_percentiles_between_closest_ranks() -> None:
    assert percentile([10.0, 20.0, 30.0, 40.0], 0.5) == 25.0
    assert percentile([5.0], 0.95) == 5.0


def test_it_times_only_the_200_answers() -> None:
    timing = summarize([10.0, 12.0], {"200": 2, "503": 1}, 3)

    assert (timing.ok, timing.failures, timing.p50_ms) == (2, 1, 11.0)


def test_it_makes_floor_rows_from_every_kind_of_read() -> None:
    assert _rows({"Item": {"a": {"S": "x"}}}) == [["x"]]
    assert _rows({"Items": [{"a": {"N": "1"}, "b": {"S": "y"}}]}) == [["1", "y"]]
    assert _rows({"Responses": {"Clients": [{"clientId": {"S": "c1"}}]}}) == [["c1"]]


def test_it_reports_failed_requests_and_missed_targets_apart() -> None:
    fine = Timing(10, 10, {"200": 10}, 10.0, 12.0, 10.0, 9.0, 13.0)
    slow = Timing(10, 9, {"200": 9, "500": 1}, 20.0, 30.0, 20.0, 9.0, 31.0)
    result = pages.PageResult("journal", "/client/journal/", 3, {"query": 1}, slow, fine)

    failures, missed = pages.problems_of([result], {"p50": 1.1, "p95": 1.0})

    assert failures == ["journal page: 1 non-200 answers {'200': 9, '500': 1}"]
    assert missed == ["journal: p50 2.00x its floor (target 1.30x)"]


def test_it_gives_each_fault_run_write_its_own_minute() -> None:
    moments = {faults._moment(writer, sequence) for writer in range(4) for sequence in range(50)}

    assert len(moments) == 200
    assert all(m < datetime.now(UTC).replace(tzinfo=None) for m in moments)


def test_it_reads_locust_figures_from_its_csv_row() -> None:
    row = {"Requests/s": "12.5", "95%": "", "Name": "Aggregated"}

    assert load._float(row, "Requests/s") == 12.5
    assert load._float(row, "95%") == 0.0
