"""Lightning plumbing of the training checks: the course's networks, the data, the student's layers as
autograd Functions, the runs and the probes after them.

The checks themselves (what is compared, what passes) live in :mod:`grader.checks.training`; this
package only trains and measures. It is imported only when a training check runs: it pulls in torch
and Lightning, which take seconds to import.
"""
