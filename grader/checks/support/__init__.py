"""Helpers of the checks, registering none and importing neither a check nor the kit (which builds on
them): what a check receives and returns (:mod:`.context`), judge-side batch-norm arithmetic
(:mod:`.batchnorm_math`), the statistics of the dropout tests (:mod:`.dropout_stats`) and the one rule that
names a mistake (:mod:`.matching`). The dropout cases and diagnoses call the student through the kit, so
they are :mod:`grader.checks.dropout_samples`, beside the checks."""
