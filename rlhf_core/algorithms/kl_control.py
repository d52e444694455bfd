"""The KL penalty's coefficient over a run: TRL 0.11's adaptive controller (Ziegler et al. 2019)
and the fixed one. Their state (`state_dict`) is saved with every PPO checkpoint."""

from __future__ import annotations

from typing import Dict

from .ppo import Number


class AdaptiveKLController:
    """Adaptive KL coefficient (Ziegler et al. 2019).

    value *= 1 + clip(kl / target - 1, -0.2, 0.2) * n_steps / horizon
    """

    def __init__(self, init_kl_coef: float = 0.2, target: float = 6.0, horizon: int = 10000):
        if target <= 0 or horizon <= 0:
            raise ValueError(f"target and horizon must be positive (got target={target}, horizon={horizon})")
        self.value = float(init_kl_coef)
        self.target = float(target)
        self.horizon = float(horizon)

    def update(self, current_kl: Number, n_steps: int) -> float:
        """Return the new coefficient: value * (1 + clip(current_kl / target - 1, -0.2, 0.2) * n_steps / horizon)."""
        proportional_error = min(max(float(current_kl) / self.target - 1.0, -0.2), 0.2)
        mult = 1.0 + proportional_error * n_steps / self.horizon
        self.value *= mult
        return self.value

    def state_dict(self) -> Dict[str, float]:
        """Return {"value": current coefficient}, enough to resume a run."""
        return {"value": self.value}

    def load_state_dict(self, state: Dict[str, float]) -> None:
        """Restore the coefficient from `state_dict()` output."""
        self.value = float(state["value"])


class FixedKLController:
    """Fixed KL coefficient: value stays kl_coef; update is a no-op."""

    def __init__(self, kl_coef: float):
        self.value = float(kl_coef)

    def update(self, current_kl: Number, n_steps: int) -> float:
        """Return the unchanged coefficient (no-op)."""
        return self.value

    def state_dict(self) -> Dict[str, float]:
        """Return {"value": coefficient}."""
        return {"value": self.value}

    def load_state_dict(self, state: Dict[str, float]) -> None:
        """Restore the coefficient from `state_dict()` output."""
        self.value = float(state["value"])
