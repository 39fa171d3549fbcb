"""This checkout, its targets and the kernel tree: target files, config
fragments, linking, build ids, suite sources, defect patches, patch files and
the known findings and kernel bugs as data.  Imports console only."""
