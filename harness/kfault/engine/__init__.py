"""A sweep across boots: its records on disk and how a boot is resumed,
and the pure side of sweeps from user space (plan, records, sites, verdicts)."""
