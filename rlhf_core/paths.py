"""The project's root folder, found once (runs, shipped checkpoints and the allowlist use it)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
