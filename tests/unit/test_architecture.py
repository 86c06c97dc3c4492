"""The import graph: no cycles anywhere in webapp/, and the job system's layers run one way."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp

from tests.support.settings import ROOT


def cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every module that can reach itself by imports, with one path that shows how."""
    found = []
    for module in sorted(graph.find_children(package) | graph.find_descendants(package)):
        for imported in graph.find_modules_directly_imported_by(module):
            path = graph.find_shortest_chain(importer=imported, imported=module)
            if path is not None:
                found.append([module, *path])
                break
    return found


def test_webapp_has_no_import_cycles() -> None:
    graph = grimp.build_graph("webapp", cache_dir=None)
    assert cycles(graph, "webapp") == []


def test_layers_contract_holds() -> None:
    # The contract lives in pyproject.toml ([tool.importlinter]); lint-imports reads it there.
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # One contract per feature with layers (archives, imports), every one kept.
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout
