"""Chinese text triage for sanshi (三事分流): pure Python, no Django imports.

See docs/triage.md. The Django side wraps TriageModel and the cmd_* helpers.
"""

from .cli import cmd_classify, cmd_eval, cmd_train
from .io import default_data_dir, default_data_files, read_corrections, read_rows
from .model import (
    DEPARTMENT_TO_DISTRICT,
    DEPARTMENTS,
    KINDS,
    Prediction,
    TriageModel,
    TriageResult,
    cross_validate,
    merge_evidence,
    read_model_info,
)
from .similar import embed, hotspots, most_similar
from .text import manual_reason

__all__ = [
    "DEPARTMENTS", "DEPARTMENT_TO_DISTRICT", "KINDS", "Prediction", "TriageModel", "TriageResult",
    "cmd_classify", "cmd_eval", "cmd_train", "cross_validate", "default_data_dir", "default_data_files",
    "embed", "hotspots", "manual_reason", "merge_evidence", "most_similar", "read_corrections", "read_model_info",
    "read_rows",
]
