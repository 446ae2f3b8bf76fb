"""Channel backends: each sends one rendered message and returns the provider's message id.

A backend raises TemporaryFailure (retried with backoff) or PermanentFailure (failed at once);
any other exception is treated as temporary.
"""


class ChannelError(Exception):
    pass


class TemporaryFailure(ChannelError):
    pass


class PermanentFailure(ChannelError):
    pass
