"""The Gradio app's layer: the training knobs (one list of app settings), server limits, start-up
and the shared models, the training job, runs, evaluation, your dialogue, views and charts."""
