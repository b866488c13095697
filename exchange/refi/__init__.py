"""REFI-QDA 1.5 (.qdpx projects, .qdc codebooks): reading leniently, writing strictly.

A pure library, no Django: `read_project`, `read_codebook`, `write_project`, `write_codebook`
and the dataclasses of `model`. Every error is a `RefiError` with a message for the researcher.
"""

from .archive import Limits
from .model import (
    Alignment,
    Case,
    Code,
    Coding,
    Loss,
    Note,
    Project,
    RefiError,
    Selection,
    Set,
    SkippedSource,
    TextSource,
    Unit,
    User,
    Variable,
    VariableValue,
)
from .reader import read_codebook, read_file, read_project
from .writer import iter_project, write_codebook, write_project

__all__ = [
    "Alignment",
    "Case",
    "Code",
    "Coding",
    "Limits",
    "Loss",
    "Note",
    "Project",
    "RefiError",
    "Selection",
    "Set",
    "SkippedSource",
    "TextSource",
    "Unit",
    "User",
    "Variable",
    "VariableValue",
    "iter_project",
    "read_codebook",
    "read_file",
    "read_project",
    "write_codebook",
    "write_project",
]
