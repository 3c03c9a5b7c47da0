"""The LMS integration: signed webhooks in (:mod:`service.lms.webhook_intake`), signed grades out
(:mod:`service.lms.delivery`), both signed by :mod:`service.lms.signing`."""
