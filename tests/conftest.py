"""Shared test fixtures: real photos from scikit-image's bundled samples (free licence).

Also names each test of the slow modules while it runs, as `pytest -v` does, so
a run does not sit for minutes on one line of dots.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data

from colorize_model import Colorizer

SLOW_MODULES = {"test_training.py"}  # each test trains or exports a network for real: up to minutes


class SlowTestNames:
    """Raises the verbosity to -v's for each test of SLOW_MODULES, and back after it."""

    def __init__(self, config: pytest.Config, reporter: pytest.TerminalReporter) -> None:
        self.config, self.reporter = config, reporter
        self.verbosity = config.option.verbose
        self.after_slow = False

    @pytest.hookimpl(tryfirst=True)  # before the terminal reporter writes the test's start
    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        slow = Path(location[0]).name in SLOW_MODULES
        if slow:
            self.config.option.verbose = max(self.verbosity, 1)
        elif self.after_slow:  # end the last named test's line, which already shows the progress
            if not self.reporter.showfspath:
                self.reporter.ensure_newline()  # -q: no file name follows to start a new line
            self.reporter.currentfspath = None
        self.after_slow = slow

    @pytest.hookimpl(trylast=True)  # after the terminal reporter wrote the test's outcome
    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.config.option.verbose = self.verbosity


@pytest.hookimpl(trylast=True)  # the terminal reporter registers itself in its own pytest_configure
def pytest_configure(config: pytest.Config) -> None:
    """Name the slow tests only when pytest would not already (-v)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and config.get_verbosity(config.VERBOSITY_TEST_CASES) <= 0:
        config.pluginmanager.register(SlowTestNames(config, reporter), "slow-test-names")


@pytest.fixture(scope="session")
def colorizer() -> Colorizer:
    """The embedded default model, loaded once."""
    return Colorizer.load()


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="session")
def coffee() -> np.ndarray:
    return data.coffee()
