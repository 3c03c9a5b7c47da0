"""Helpers of the checks, registering none: what a check receives and returns (:mod:`.context`),
judge-side batch-norm arithmetic (:mod:`.batchnorm_math`), the dropout cases and diagnoses
(:mod:`.dropout_samples`) and the statistics behind them (:mod:`.dropout_stats`)."""
