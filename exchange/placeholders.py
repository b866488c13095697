"""The people of an imported file, as Verbatim accounts: found by name, or stood for by an inactive
placeholder account until a project admin hands its work to a member."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from coding.audit import recorded_as
from exchange.models import Placeholder
from interviews.models import Membership, Project

User = get_user_model()


def matches(user, name: str) -> bool:
    """Whether a REFI-QDA user name is this account's username or full name (any case)."""
    wanted = " ".join(name.split()).casefold()
    return bool(wanted) and wanted in {
        user.get_username().casefold(),
        " ".join(user.get_full_name().split()).casefold(),
    }


def suggest(name: str, candidates) -> "User | None":
    """The candidate this name designates: the one whose username it is, else the only one whose
    full name it is; None when no candidate, or several, answer to it."""
    candidates = list(candidates)
    wanted = " ".join(name.split()).casefold()
    by_username = [u for u in candidates if u.get_username().casefold() == wanted]
    if by_username:
        return by_username[0]
    by_name = [u for u in candidates if matches(u, name)]
    return by_name[0] if len(by_name) == 1 else None


def colleagues(user):
    """Whom a person may map a file's users to: themselves and the members of their projects.
    (Offering every account of the server would tell them who else uses it.)"""
    shared = Membership.objects.filter(project__memberships__user=user).values("user")
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=shared, is_active=True)).order_by(
        "username"
    )


def create(name: str, *, project: Project, file_name: str):
    """An inactive account without a password standing for `name`, a researcher of the project."""
    base = "import-" + (slugify(name)[:100] or "user")
    username, number = base, 1
    while User.objects.filter(username=username).exists():
        number += 1
        username = f"{base}-{number}"
    user = User(username=username, first_name=name[:150], is_active=False)
    user.set_unusable_password()
    user.save()
    Placeholder.objects.create(user=user, project=project, name=name[:200], file_name=file_name)
    return user


def hand_over(placeholder: Placeholder, member, *, by) -> None:
    """Give everything the placeholder account holds (codings, memos, reviews, its membership…) to
    `member`, then delete the placeholder. All or nothing. Every table that points at a user is
    rewritten, so work recorded by apps added later follows too."""
    ghost = placeholder.user
    with transaction.atomic(), recorded_as(by, undoable=False):
        membership = Membership.objects.filter(project=placeholder.project, user=ghost).first()
        if membership:
            if Membership.objects.filter(project=membership.project, user=member).exists():
                membership.delete()
            else:
                membership.user = member
                membership.save(update_fields=["user"])
        for relation in User._meta.related_objects:
            model = relation.related_model
            if relation.many_to_many or relation.one_to_one or model in (Membership, Placeholder):
                continue
            name = relation.field.name
            model._base_manager.filter(**{name: ghost}).update(**{name: member})
        ghost.delete()
