"""ipamsync's local runtime: SOLIDserver emulator, local AWS (moto) pipeline, CLI and benchmarks.

Never shipped to Lambda; nothing under ``ipamsync`` imports it.
"""
