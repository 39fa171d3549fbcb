"""What a run found: the run model (a console parsed once, symbolised once),
known findings matched, coverage, the reports and their comparison.  Imports
console and checkout."""
