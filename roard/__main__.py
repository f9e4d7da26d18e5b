import sys

from roard.main import main

sys.exit(main())
