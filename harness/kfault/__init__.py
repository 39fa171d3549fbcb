"""kfault: fault injection and leak checking for kernel drivers, on KUnit.

Links its C side into a kernel tree, drives kunit.py and UML, and reads
what the kernel printed.  `kfault --help` lists the commands."""

__version__ = "0.9.0"
