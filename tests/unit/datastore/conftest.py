"""Fixtures of the datastore tests: the model of an AP-capable switch and a hand-driven timer."""

from pathlib import Path

import pytest

from smartupgrade_model.modules import data_model
from smartupgrade_server.datastore.codec import Schema
from smartupgrade_server.datastore.store import Datastores
from tests.support.manual_scheduler import ManualScheduler


@pytest.fixture(scope="session")
def schema() -> Schema:
    return Schema(data_model(ap_upgrade=True))


@pytest.fixture
def scheduler() -> ManualScheduler:
    return ManualScheduler()


@pytest.fixture
def datastores(schema: Schema, tmp_path: Path, scheduler: ManualScheduler) -> Datastores:
    return Datastores(schema, tmp_path, scheduler)
