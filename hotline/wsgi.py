"""The WSGI entry for any WSGI server (`gunicorn hotline.wsgi:app`): the app, refused at import
with production settings that would fail or leak (hotline/production.py), as `serve` refuses.

The Procfile and the container run `flask --app hotline serve` (waitress, hotline/server.py);
this entry is for a platform that insists on its own WSGI server.
"""

from __future__ import annotations

from hotline import create_app, production, watch

app = create_app()
with app.app_context():
    production.refuse(app)
watch.watchman(app).start()  # the web heartbeat and the dead-man's switch (hotline/watch.py)
