"""Fixtures shared by the evidence tests: stored files go to a fresh folder per test, and
one opened cycle per module (each test reads it afresh) with secretary a1's participant
and a leaf scored directly. A module defining a fixture of the same name uses its own."""

from pathlib import Path

import pytest

from tests.factories import fresh_cycle, open_seed_cycle


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Stored files go to a fresh folder per test, never the project's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def me(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


@pytest.fixture
def leaf(cycle):
    return cycle.frozen_template.nodes.get(name="违建管控")
