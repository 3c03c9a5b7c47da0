"""LTI 1.3 routes: the tool endpoints under ``/lti`` and the registrations page under ``/dashboard/lti``."""
