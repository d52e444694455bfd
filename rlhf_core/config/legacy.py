"""Run folders saved before the `optim` section existed keep loading: their optimizer settings sat
in `ppo` (`optim.learning_rate`, `optim.batch_size`, ...) for every algorithm. `upgrade` moves them to
`optim` and says so on stderr (once per process); everything else is read as it was saved."""

from __future__ import annotations

import copy
import logging
from typing import Any

log = logging.getLogger(__name__)
_noted: set[tuple[str, ...]] = set()  # one note per process for each set of old keys (the app re-reads runs)

# ppo.<name> -> optim.<name>: the settings every algorithm reads.
MOVED_TO_OPTIM = ("learning_rate", "batch_size", "mini_batch_size", "micro_batch_size", "forward_batch_size",
                  "max_grad_norm")


def upgrade(data: Any) -> Any:
    """Returns a saved configuration with the older layout's keys moved to their current place
    (a copy; `data` is untouched). Anything that is not a dict is returned as it is, for
    `Config.from_dict` to refuse with its own message."""
    if not isinstance(data, dict) or not isinstance(data.get("ppo"), dict):
        return data
    old = [name for name in MOVED_TO_OPTIM if name in data["ppo"]]
    if not old:
        return data
    data = copy.deepcopy(data)
    optim = data.setdefault("optim", {})
    if not isinstance(optim, dict):
        return data
    for name in old:
        value = data["ppo"].pop(name)
        optim.setdefault(name, value)
    if tuple(old) not in _noted:
        _noted.add(tuple(old))
        log.warning("note: a saved configuration uses the older layout; read %s as %s",
                    ", ".join(f"ppo.{n}" for n in old), ", ".join(f"optim.{n}" for n in old))
    return data
