"""`python -m officeconsole` runs the same entry point as the `officeconsole` script."""

from officeconsole.cli import main

if __name__ == "__main__":
    main()
