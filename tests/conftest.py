"""Make the collection importable as ansible_collections.replkit.mariadb in every test."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
if not (COLLECTIONS / "ansible_collections" / "replkit" / "mariadb").exists():
    raise RuntimeError("run 'make setup' first: it links the collection into .collections/")
