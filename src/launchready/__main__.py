import sys

from launchready.cli.main import main

sys.exit(main())
