"""The networks and how they run: Hub loading, LoRA policy + value head, reward model and terms, sampling."""
