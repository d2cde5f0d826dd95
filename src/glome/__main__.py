import sys

from glome.cli import main

sys.exit(main())
