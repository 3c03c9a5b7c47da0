"""The ``autograder`` command: the composition root that starts the API, the workers or both."""
