"""An input that cannot be used: the message names the input and says what to do.

Any stage may raise it; the command line prints it as one line and exits 2.
"""

from __future__ import annotations


class InputError(Exception):
    pass
