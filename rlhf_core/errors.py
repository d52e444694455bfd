"""The one exception type that means "the user asked for something we cannot do".

The CLI prints it as a single line on stderr and exits non-zero; the app shows it as a message.
Anything else that escapes is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input or environment, with a message that says what to do next."""
