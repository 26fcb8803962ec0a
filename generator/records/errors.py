"""The error raised for every unreadable or invalid input file."""


class RecordError(ValueError):
    """An input file that cannot be imported; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem
