"""Developer tools that never ship in the wheel: the synthetic-org generator, the Bulk API 2.0 simulator, the recorders.

Tests, benchmarks and ``python -m sfbridge_tools.record`` (which rewrites fixtures/) use them; the
product (``sfbridge``) never imports them, so users never install Faker.
"""
