"""Starter files `sfbridge init` writes: a commented config (``sfbridge.toml``) and the check rules (``rules.toml``).

``rules.toml`` is the repository's ``config/rules.toml`` (a test keeps them the same);
``sfbridge.toml`` is its ``config/sfbridge.toml`` with a first paragraph for a new user.
"""
