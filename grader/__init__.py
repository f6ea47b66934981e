"""grader: checks a learner's own implementation of the course's convolution and pooling functions.

It lives beside :mod:`convcore`, which it uses as its reference, and is the only part of the project that runs
code it did not write: every learner function runs in a sandboxed child process (:mod:`grader.sandbox`,
:mod:`grader._runner`).

- :mod:`grader.check`: grading a file or pasted code (``grade``, ``grade_source``), the report, the command line
  (``python -m grader FILE [--json] [--no-sandbox]``);
- :mod:`grader.source`: what of a ``.py`` file or notebook is run (definitions only);
- :mod:`grader.report`: the report's sentences, the same on the command line and the page;
- :mod:`grader.mistakes`: the catalogue of learners' slips, the battery of test cases, the two checks
  (the course's mean-only check and the element-wise one);
- :mod:`grader.sandbox`: Landlock, seccomp-bpf and rlimits around each child, fail closed, the teacher's switch
  and the server-wide cap on gradings (:mod:`grader._lockdown` is the child's side of it);
- :mod:`grader._runner`: the child's side of the grading (loads the file, runs one function on the cases in each
  pass, writes ``.npy``).
"""

__all__ = ["check", "mistakes", "report", "sandbox", "source"]
