"""A local sandbox: a simulated Salesforce org served in-process, never a real org.

``sfbridge demo --apply`` rehearses plan → apply → runs show → revert against it, and the
cassette recorders and benchmarks talk to the same simulator (:mod:`sfbridge.sandbox.org`
answers reads, :mod:`sfbridge.sandbox.writes` the writes apply and revert send). It needs
nothing beyond sfbridge's own dependencies.
"""
