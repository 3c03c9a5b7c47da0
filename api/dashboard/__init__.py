"""The instructor dashboard (``/dashboard``) and the student page (``/student``), server-rendered."""
