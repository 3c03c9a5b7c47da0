"""The LMS integration: signed webhooks in (:mod:`api.lms.webhook`), signed grades out (:mod:`api.lms.delivery`)."""
