"""The app's views: HTML/CSS builders and plotly charts (no ML logic)."""
