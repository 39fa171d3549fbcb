"""Pure parsers of what a boot prints: kfault: protocol lines, KTAP, kunit.py's
results, stack frames, crashes, kernel reports, kmemleak blocks.  Imports
nothing of the harness but errors."""
