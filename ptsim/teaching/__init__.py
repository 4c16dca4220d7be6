"""Lesson computations and questions, plotting, widget apps and the dashboard: the only layer that
imports matplotlib or ipywidgets.
"""
