"""grader: checks a learner's own implementation of the course's convolution and pooling functions.

It lives beside :mod:`convcore`, which it uses as its reference, and is the only part of the project that runs
code it did not write: every learner function runs in a child process (:mod:`grader._runner`).

- :mod:`grader.check`: grading a file, the report, the command line (``python -m grader FILE [--json]``);
- :mod:`grader.mistakes`: the catalogue of learners' slips, the battery of test cases, the two checks
  (the course's mean-only check and the element-wise one);
- :mod:`grader._runner`: the child's side (loads the file, runs one function on the cases, writes ``.npy``).
"""

__all__ = ["check", "mistakes"]
