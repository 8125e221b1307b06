"""Page services: what each page of the app reads and writes, one module (or package) per page.

``app_pages/<key>.py`` draws page ``<key>`` of :data:`core.pages.PAGES` with Streamlit and
calls ``core.views.<key>`` for everything else, so every rule a page follows is reachable from
a test without Streamlit. Reads several features share (a meter, its readings and issues,
account scoping) live in :mod:`core.scoped`, which no page owns.
"""
