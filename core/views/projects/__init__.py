"""The Projects page: the board (:mod:`.board`), a project's evidence and its charts.

:mod:`.board` lists the user's projects and changes their status; :mod:`.evidence` reads what
is behind one project; :mod:`.charts` draws it.
"""
