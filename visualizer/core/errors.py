"""The one error a user can cause."""


class SceneError(ValueError):
    """A scene (query string, CLI argument, URL) that cannot be used.

    The message is one line naming the key, the bad value and what is
    allowed; the app shows it and the CLI prints it, never a traceback.
    """

    def __init__(self, message: str, key: str = ""):
        super().__init__(" ".join(str(message).split()))
        self.key = key
        self.fallback = ""  # set by a lenient parse: what it did instead ("its default is used")

    def explained(self) -> str:
        """The message and, after a lenient parse, what was done about it."""
        return f"{self} ({self.fallback})" if self.fallback else str(self)
