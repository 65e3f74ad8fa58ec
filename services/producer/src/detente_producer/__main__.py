import sys

from detente_producer.cli import main

sys.exit(main())
