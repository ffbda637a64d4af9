"""python -m memory_service."""

import sys

from memory_service.cli import main

sys.exit(main())
