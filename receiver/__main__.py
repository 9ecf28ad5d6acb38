"""``python -m receiver [options]``: the same as ``cccd receiver``."""

import sys

from receiver.cli import main

sys.exit(main())
