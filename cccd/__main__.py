import sys

from cccd.cli import main

sys.exit(main())
