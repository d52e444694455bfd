import sys

from .cli import main

if __name__ == "__main__":  # not when a spawned worker (build-demo's classifiers) imports this module
    sys.exit(main())
