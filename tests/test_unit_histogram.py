"""The fast histogram used by the router and the plausibility check counts exactly as np.histogram does."""

from __future__ import annotations

import numpy as np
import pytest

from xray_desktop.unit_histogram import unit_histogram


def _cases() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [
        rng.integers(0, 256, (120, 90)).astype(np.float32) / 255,  # 8-bit film
        rng.integers(0, 65536, (120, 90)).astype(np.float32) / 65535,  # 16-bit film
        rng.random((120, 90), dtype=np.float32),
        np.linspace(0.0, 1.0, 40_001, dtype=np.float32),  # every bin edge and its neighbours
        np.array([0.0, 1.0, 0.5, 0.25, 1 / 32, 31 / 32, np.nextafter(np.float32(0.5), np.float32(0))], np.float32),
    ]


@pytest.mark.parametrize("bins", [32, 256])
def test_counts_equal_numpy_histogram_over_unit_range(bins: int) -> None:
    for values in _cases():
        expected = np.histogram(values, bins=bins, range=(0.0, 1.0))[0]
        assert np.array_equal(unit_histogram(values, bins), expected)


def test_values_outside_the_unit_range_and_nan_are_left_out_as_numpy_does() -> None:
    values = np.array([-0.01, -1e-9, 0.0, 0.999, 1.0, 1.0001, 7.0, np.nan], np.float32)
    expected = np.histogram(values, bins=32, range=(0.0, 1.0))[0]
    counts = unit_histogram(values, 32)
    assert np.array_equal(counts, expected) and counts.sum() == 3


def test_a_bin_count_that_is_not_a_power_of_two_is_refused() -> None:
    with pytest.raises(ValueError, match="power of two"):
        unit_histogram(np.zeros(4, np.float32), 30)
