"""``python -m convcore.check SOLUTION.py [--json] ...``: the grader's entry point under its first name.

The grader itself lives in the package :mod:`grader` (it starts processes and runs learners' code, which the pure
maths of convcore never does). Importing this module imports nothing; running it runs :func:`grader.check.main`.
"""

if __name__ == "__main__":
    import sys

    from grader.check import main

    sys.exit(main(prog="python -m convcore.check"))
