"""The broadcast engine: planner (fan-out), pacer (exact rate), sender, progress.

Its lifecycle is drawn in `lifecycle.mmd` beside this package's modules.
"""
