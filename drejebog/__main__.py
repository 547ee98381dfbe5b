"""`python -m drejebog`: the same as the `drejebog` command."""

from drejebog.cli.main import main

if __name__ == "__main__":
    main()
