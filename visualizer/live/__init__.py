"""A live class: a teacher moves through a lesson, thirty phones follow, each
student answers the question before the scene plays, the projector shows
the room's answers, and a reveal plays the truth on every screen.

    store.py    where a class lives: SQLite (one server) or Redis (replicas), one interface
    classes.py  the rules: who may do what, what an answer may be, limits, tallies, the CSV
    routes.py   the class over HTTP, beside the page (no script rerun per poll)
    qr.py       the student link as a QR code for the projector

Built on `visualizer.core` (the questions and their grading); the page
(`visualizer.page`) and `app.py` use it.
"""
