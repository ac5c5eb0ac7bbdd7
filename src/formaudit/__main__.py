import sys

from formaudit.cli import main

sys.exit(main())
