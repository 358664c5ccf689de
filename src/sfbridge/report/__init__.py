"""Renderers: turn stage results into tables for people and JSON for machines (pure)."""
