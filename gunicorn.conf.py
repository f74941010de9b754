"""gunicorn settings read from the working directory by every `gunicorn` command (Procfile.dev,
docker-compose.yml, the Dockerfile): command-line options still win.

gunicorn has no option for its `Server` response header; the neutral value below replaces the
server's name (and any version a future gunicorn might add) in every response."""

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "pmo"
# Nothing in the WSGI environ names the server's version either.
gunicorn.http.wsgi.SERVER_SOFTWARE = "pmo"
