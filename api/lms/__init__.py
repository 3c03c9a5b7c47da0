"""The LMS webhook route (the signing, intake and delivery it uses live in ``service.lms``)."""
