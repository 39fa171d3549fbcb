"""One module per command: each is given a Context (checkout, tree, target,
runner) and returns what it found; cli.py alone turns that into an exit code."""
