"""``/dashboard``: the instructor's pages, server-rendered; one module per page."""

from api.dashboard import export, gradebook, overview, schedule, sign_in, similarity, students, submissions

routers = tuple(m.router for m in (sign_in, overview, submissions, students, gradebook, export, schedule,
                                   similarity))
