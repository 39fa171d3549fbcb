"""The one exception type the CLI turns into a one-line error and exit code."""


class HarnessError(Exception):
    """A user-facing error: the message says what is wrong and what to do."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code
