"""Pages, grouped by audience: `campaigns` and `instruments` for the firm's staff, `privacy` for
its owners and admins (a person's data: export, erasure, retention), `public` for
respondents and open-link visitors (every `@firm_public` view). Views parse input, call an access
helper (`assessments.access`), a selector or a service, and render."""
