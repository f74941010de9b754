"""Report pages, by audience: `settings` (managers), `campaigns` (the firm's staff), `portal`
(client executives, and staff looking at a client's portal). Views parse input, call an access
helper (`reports.access`), a selector or a service, and render; they never query the ORM."""
