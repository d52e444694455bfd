"""The Gradio app's layer: settings knobs, server limits, the training job, serving, HTML views and charts."""
