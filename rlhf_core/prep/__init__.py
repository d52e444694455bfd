"""Stage-1 SFT, reward-model training, the synthetic corpus and the demo builder: the offline prep wing."""
