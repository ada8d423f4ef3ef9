"""Scoring the analyzer against hand-labelled documents (`pmdi eval GOLD_DIR`)."""
