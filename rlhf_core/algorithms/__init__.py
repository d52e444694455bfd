"""RLHF updates: PPO and RLOO/GRPO math as pure tensor functions, and the trainers that run one step."""
