"""Evaluation harness: real traffic with injected, labelled behaviours, and scoring of detector events."""

from .inject import AssetLine, Injected, Realism
from .scenarios import SCENARIOS, build_suite
from .score import EvalInputError, EvalReport, ScoreConfig, evaluate, evaluate_dir, vessel_hours

__all__ = ["AssetLine", "Injected", "Realism", "SCENARIOS", "build_suite", "EvalInputError", "EvalReport",
           "ScoreConfig", "evaluate", "evaluate_dir", "vessel_hours"]
