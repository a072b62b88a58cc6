"""The demo app's pages: Jinja2 templates kept as strings, rendered with autoescaping.

Styles are served from /static/app.css rather than inline, so the fixed variant's strict
Content-Security-Policy (no 'unsafe-inline') still shows a styled page.
"""

from __future__ import annotations

import hashlib
from typing import Any

import jinja2

CSS = """
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2330;
background:#f5f6f8}header{background:#1d2330;color:#fff;padding:.6rem 1.5rem;display:flex;
gap:1.2rem;align-items:center}header a{color:#cfd6e4;text-decoration:none}header a:hover{color:#fff}
header .brand{font-weight:700;color:#fff;margin-right:auto}main{max-width:1100px;margin:1.5rem auto;
padding:0 1.5rem}.card{background:#fff;border:1px solid #dfe3ea;border-radius:8px;padding:1.2rem;
margin-bottom:1rem}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));
gap:1rem}.stat{font-size:1.8rem;font-weight:700}table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #eef0f4}
input,select,textarea{font:inherit;padding:.45rem .6rem;border:1px solid #c8cfdb;border-radius:6px;
width:100%}button{font:inherit;background:#2f6fed;color:#fff;border:0;border-radius:6px;
padding:.5rem 1rem;cursor:pointer}form.inline{display:inline}form.inline button{background:none;
color:#cfd6e4;padding:0}label{display:block;margin:.6rem 0}.error{color:#b42318}.ok{color:#067647}
.narrow{max-width:380px;margin:4rem auto}.pager{display:flex;gap:1rem;margin-top:1rem}
"""

# Content hash in the stylesheet's URL: a new deploy gets a new URL, so it may be cached long.
CSS_VERSION = hashlib.sha256(CSS.encode()).hexdigest()[:12]

_BASE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · Demo Admin</title>
<link rel="stylesheet" href="/static/app.css?v={{ css_version }}">
</head>
<body>
<header>
  <a class="brand" href="/">Demo Admin</a>
  {% if user %}
  <a href="/">Dashboard</a>
  <a href="/clients">Clients</a>
  {% if user.role == "admin" %}<a href="/admin/settings">Settings</a>{% endif %}
  <form class="inline" method="post" action="/logout">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <button type="submit">Sign out ({{ user.email }})</button>
  </form>
  {% else %}
  <a href="/login">Sign in</a>
  {% endif %}
</header>
<main>
{% block content %}{% endblock %}
</main>
</body>
</html>
"""

_LOGIN = """{% extends "base.html" %}{% block content %}
<div class="card narrow">
  <h1>Sign in</h1>
  {% if error %}<p class="error">{{ error }}</p>{% endif %}
  <form method="post" action="/login">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <input type="hidden" name="next" value="{{ next }}">
    <label>Email <input type="email" name="email" value="{{ email }}" autocomplete="username"
      required></label>
    <label>Password <input type="password" name="password" autocomplete="current-password"
      required></label>
    <button type="submit">Sign in</button>
  </form>
  <p><a href="/password-reset">Forgot your password?</a></p>
</div>
{% endblock %}"""

_DASHBOARD = """{% extends "base.html" %}{% block content %}
<h1>Dashboard</h1>
<div class="grid">
  <div class="card"><div>Clients</div><div class="stat">{{ stats.clients }}</div></div>
  <div class="card"><div>Activity entries</div>
    <div class="stat">{{ stats.activity_total }}</div></div>
  <div class="card"><div>Team members</div><div class="stat">{{ stats.users }}</div></div>
</div>
<div class="card">
  <h2>Activity by type</h2>
  <table><tr><th>Action</th><th>Count</th></tr>
  {% for action, count in stats.by_action %}<tr><td>{{ action }}</td><td>{{ count }}</td></tr>
  {% endfor %}</table>
</div>
<div class="card">
  <h2>Recent activity</h2>
  <table><tr><th>When</th><th>Client</th><th>Action</th></tr>
  {% for row in stats.recent %}<tr><td>{{ row.created_at }}</td><td>{{ row.client_name }}</td>
  <td>{{ row.action }}</td></tr>{% endfor %}</table>
</div>
<div class="card">
  <h2>Invite a teammate</h2>
  {% if notice %}<p class="ok">{{ notice }}</p>{% endif %}
  <form method="post" action="/invites">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <label>Email <input type="email" name="email" required></label>
    <button type="submit">Send invite</button>
  </form>
</div>
{% endblock %}"""

_CLIENTS = """{% extends "base.html" %}{% block content %}
<h1>Clients</h1>
<div class="card">
  <table>
    <tr><th>#</th><th>Name</th><th>Contact</th><th>Plan</th><th>Status</th><th>Updated</th></tr>
    {% for c in clients %}<tr><td>{{ c.id }}</td><td>{{ c.name }}</td>
    <td>{{ c.contact_name }} &lt;{{ c.contact_email }}&gt;</td><td>{{ c.plan }}</td>
    <td>{{ c.status }}</td><td>{{ c.updated_at }}</td></tr>{% endfor %}
  </table>
  <div class="pager">
    {% if page > 1 %}<a href="/clients?page={{ page - 1 }}">&larr; Previous</a>{% endif %}
    <span>Page {{ page }} of {{ pages }}</span>
    {% if page < pages %}<a href="/clients?page={{ page + 1 }}">Next &rarr;</a>{% endif %}
  </div>
</div>
<div class="card">
  <h2>Add a client</h2>
  <form method="post" action="/api/clients">
    <input type="hidden" name="csrf_token" value="{{ csrf_token }}">
    <label>Company name <input name="name" required></label>
    <label>Contact name <input name="contact_name"></label>
    <label>Contact email <input type="email" name="contact_email"></label>
    <button type="submit">Add client</button>
  </form>
</div>
{% endblock %}"""

_SETTINGS = """{% extends "base.html" %}{% block content %}
<h1>Settings</h1>
<div class="card">
  <h2>Organisation</h2>
  <table>{% for key, value in settings %}<tr><th>{{ key }}</th><td>{{ value }}</td></tr>
  {% endfor %}</table>
</div>
<div class="card">
  <h2>Team</h2>
  <table><tr><th>Name</th><th>Email</th><th>Role</th></tr>
  {% for u in team %}<tr><td>{{ u.name }}</td><td>{{ u.email }}</td><td>{{ u.role }}</td></tr>
  {% endfor %}</table>
</div>
{% endblock %}"""

_FORGOT = """{% extends "base.html" %}{% block content %}
<div class="card narrow">
  <h1>Reset your password</h1>
  {% if notice %}<p class="ok">{{ notice }}</p>{% endif %}
  <form method="post" action="/password-reset">
    <label>Email <input type="email" name="email" required></label>
    <button type="submit">Email me a reset link</button>
  </form>
  <p><a href="/login">Back to sign in</a></p>
</div>
{% endblock %}"""

_CHOOSE_PASSWORD = """{% extends "base.html" %}{% block content %}
<div class="card narrow">
  <h1>{{ title }}</h1>
  {% if error %}<p class="error">{{ error }}</p>{% endif %}
  {% if token %}
  <form method="post" action="{{ action }}">
    <input type="hidden" name="token" value="{{ token }}">
    {% if ask_name %}<label>Your name <input name="name" required></label>{% endif %}
    <label>New password (12 characters or more)
      <input type="password" name="password" minlength="12" autocomplete="new-password" required>
    </label>
    <button type="submit">Save password</button>
  </form>
  {% endif %}
  <p><a href="/login">Back to sign in</a></p>
</div>
{% endblock %}"""

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader(
        {
            "base.html": _BASE,
            "login.html": _LOGIN,
            "dashboard.html": _DASHBOARD,
            "clients.html": _CLIENTS,
            "settings.html": _SETTINGS,
            "forgot.html": _FORGOT,
            "choose_password.html": _CHOOSE_PASSWORD,
        }
    ),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_ENV.globals["css_version"] = CSS_VERSION


def render(name: str, **context: Any) -> str:
    return _ENV.get_template(name).render(**context)
