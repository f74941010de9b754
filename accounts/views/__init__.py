"""Pages of the accounts app, one module per audience or concern: `account` (the signed-in
person, outside any firm), `clients` and `team` (firm staff), `settings` (owners and admins) and
`public` (every `@firm_public` page). Views parse input, call an access helper, selector or
service, and render."""
