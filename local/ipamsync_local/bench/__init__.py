"""Benchmarks of ipamsync's local runtime (``emulator_bench``: the SOLIDserver emulator at scale)."""
