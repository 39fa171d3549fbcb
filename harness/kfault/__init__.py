"""kfault harness: links the project into a kernel tree and drives kunit.py."""
