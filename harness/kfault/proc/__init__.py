"""The one module that starts processes (runner.py) and the live progress line."""
