"""How a person is named on pages and in exports: their full name, else their username.

The same rule in three forms: for Python (`name`), for templates (the `person` filter, a builtin
of every template, verbatim/settings.py) and for plain SQL (`name_sql`).
"""

from django import template

register = template.Library()


@register.filter(name="person")
def name(user) -> str:
    """Nothing for no one: a memo's deleted author, a trash entry's, a visitor signed out (whose
    names templates used to read as empty)."""
    if user is None or not user.is_authenticated:
        return ""
    return user.get_full_name() or user.username


def name_sql(alias: str) -> str:
    """`name` as an SQL expression on the auth_user row aliased `alias`."""
    return f"coalesce(nullif(trim({alias}.first_name || ' ' || {alias}.last_name), ''), {alias}.username)"
