"""`auditor serve`: the read-only dashboard (Flask, server-side Jinja2 templates, every asset in the
package; waitress serves it)."""
