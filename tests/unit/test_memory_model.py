"""The model and the rule that choose each function's memory size (bench/memory.py)."""

from typing import Any

from bench.memory import FULL_VCPU_MB, SIZES_MB, _figures, choose, modelled_ms
from tests.sweep_simulation import MS_PER_REQUEST


def test_cpu_time_stretches_below_one_vcpu_and_requests_take_what_they_take() -> None:
    assert modelled_ms(0.1, 2, FULL_VCPU_MB) == 100 + 2 * MS_PER_REQUEST
    assert modelled_ms(0.1, 2, 4096) == 100 + 2 * MS_PER_REQUEST  # never more than a vCPU
    assert round(modelled_ms(0.1, 0, 256), 1) == round(100 * FULL_VCPU_MB / 256, 1)


def _raw(init_cpu: float, first_cpu: float, warm_cpu: float, requests: int, rss: float) -> Any:
    return {
        "init": [init_cpu * 3, init_cpu],  # the wall time is not modelled
        "first": [first_cpu * 3, first_cpu, requests],
        "warm": [[warm_cpu * 3, warm_cpu, requests]] * 5,
        "rss_mb": rss,
    }


def test_the_http_function_gets_the_smallest_size_with_a_short_enough_cold_start() -> None:
    figures = _figures(_raw(0.25, 0.3, 0.008, 1, 58))
    assert figures["modelled"]["512"]["cold_start_ms"] > 1500
    assert figures["modelled"]["1024"]["cold_start_ms"] <= 1500
    assert choose("api_handler", figures) == 1024
    assert choose("api_handler", _figures(_raw(0.15, 0.15, 0.008, 1, 58))) == 512


def test_a_background_function_gets_the_smallest_size_computing_no_longer_than_waiting() -> None:
    # 10 ms of CPU, 4 requests (80 ms): 138 ms at 128 MB, 69 ms at 256 MB
    assert choose("sla_sweep", _figures(_raw(0.3, 0.1, 0.010, 4, 48))) == 256
    # mostly waiting: the smallest size
    assert choose("sla_sweep", _figures(_raw(0.3, 0.1, 0.002, 40, 48))) == 128
    # memory first: 90 MB is more than 60 % of 128 MB
    assert choose("sla_sweep", _figures(_raw(0.3, 0.1, 0.002, 40, 90))) == 256
    # never more than the largest size measured
    assert choose("sla_sweep", _figures(_raw(0.3, 0.1, 5.0, 1, 48))) == SIZES_MB[-1]
