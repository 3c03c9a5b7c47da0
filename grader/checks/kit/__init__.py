"""The check kit: a layer exercise's contract as data, graded by generic checks.

An exercise that asks students for layers with a forward ``f(arrays..., param) -> (out, cache)``
and a backward ``b(dout, cache) -> gradients`` describes them in its ``assignment.toml``
(``[layers.<name>]``: the functions, the arguments and their shapes per case, which arguments the
backward differentiates; ``[[mistakes]]``: the known mistakes, each a model in the exercise's
``mistakes.py`` and a hint) and lists tests that name the kit's checks:

- ``kit.forward``: the student's out against the reference's, on the cases the test names;
- ``kit.backward``: the named gradients against the reference's, on the student's own cache when
  their forward is right on that case (else on the reference's cache);
- ``kit.numeric_gradient``: the backward on the student's own cache against central differences of
  the student's own forward, along random directions (the notebook's gradient check).

A known mistake is charged in the cases its ``charged_in`` names; elsewhere a student's numbers that
match its model are not charged again (one mistake, one deduction). docs/authoring.md walks
through adding an exercise.

A layer without ``cases`` only drives an exercise's own checks through the kit's calls: ex08
declares its batch-norm and dropout layers so, and judges them in its own words
(docs/authoring.md, "ex08 on the kit").
"""
