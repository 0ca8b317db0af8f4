from __future__ import annotations

import pytest

from . import realdata


@pytest.fixture(scope="session")
def kyst(shared_data):
    return realdata.kystverket(shared_data)


@pytest.fixture(scope="session")
def solent(shared_data):
    return realdata.solent(shared_data)


@pytest.fixture(scope="session")
def ny(shared_data):
    return realdata.ny_harbour(shared_data)
