"""The console at /console (issue 22): server-rendered pages for writers (walk Genesis live)
and operators (pipeline health, outbox, dead letters, event chains, audit); docs/console.md.
`install.install_console` mounts it on the API."""
