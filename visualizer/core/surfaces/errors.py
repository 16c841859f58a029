"""The one error type of the surfaces package."""


class FormulaError(ValueError):
    """A formula the compiler will not accept; the message is one line that
    names what is not allowed and where (a name or a 1-based column)."""
