"""JFA Bot: the Telegram bot of the Justice For All campaign."""

import os

__version__ = "0.1.0"

# Opt in to PTB's timedelta-valued `retry_after` now; the int form is deprecated in 22.x
# and warns each time a RetryAfter is built. Set before any PTB error can be created.
os.environ.setdefault("PTB_TIMEDELTA", "1")
