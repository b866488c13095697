"""`{% review_history coding %}`: a coding's review history (review/cards.py), for the pages that
show it through a template (the history fragment, the "to revise" cards)."""

from django import template

from review.cards import history_html

register = template.Library()
register.simple_tag(history_html, name="review_history")
