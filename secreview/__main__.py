"""`python -m secreview`: the same command line as the `secreview` script."""

from secreview.cli import main

if __name__ == "__main__":
    main()
