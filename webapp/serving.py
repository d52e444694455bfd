"""The server's shared state for code outside the page (the tests' app fixtures,
benchmarks/load_test.py): its models, loaded once (`startup`), and its one training job (`JOBS`).

The app's handlers call the focused modules directly: `startup` (which models, and why),
`shared_models`, `job_control`, `run_list`, `evaluation` and `compare`.
"""

from .job_control import JOBS
from .startup import startup

__all__ = ["JOBS", "startup"]
