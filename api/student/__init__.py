"""``/student``: the student's pages (sign in, upload, watch it graded, read reports), server-rendered."""

from api.student import home, sign_in, submissions

routers = (home.router, sign_in.router, submissions.router)
