"""Runs: the training loop (iter_train / train), run folders and checkpoints, diagnostics, trackers."""
