"""The Baltic drag scenarios (real tracks relocated over real assets, drags injected) at default settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawarden.detect.eval.runner import detect_scenario
from seawarden.detect.eval.scenarios import build_suite
from seawarden.detect.eval.score import evaluate_dir

DRAGS = ["baltic_eagle_s_estlink2", "baltic_newnew_polar_bear_balticconnector", "baltic_yi_peng_3"]


@pytest.fixture(scope="module")
def baltic_suite(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("baltic")
    build_suite(shared_data, out, only=DRAGS)
    return out


def test_every_labelled_drag_is_detected_without_false_drag_alarms(baltic_suite: Path) -> None:
    """Eagle S crosses Estlink 2 at an angle and slows past the line: the drag must still be
    attributed to the cable (the slowdown began at it), and no neighbour is called a dragger."""
    reports, total = evaluate_dir(baltic_suite, detect_scenario())
    drag = total.by_type["anchor_drag"]
    assert drag.labels == 4 and drag.hits == 4
    assert drag.false_alarms == 0
    eagle = next(r for r in reports if r.scenario == "baltic_eagle_s_estlink2")
    lead = eagle.by_type["anchor_drag"]
    assert lead.hits == 1
