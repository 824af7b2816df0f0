"""``python -m ofsted_nlp.cli``: the same as ``ofsted-nlp``."""

from ofsted_nlp.cli.app import main

if __name__ == "__main__":
    main()
