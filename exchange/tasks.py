"""A REFI-QDA project stored in the background worker (jobs/): a .qdpx of a few hundred
interviews and tens of thousands of codings takes a minute or more to store, which must not hold a
web worker. Reading the file stays in the upload's request, in a limited child process
(exchange.refi.read_file): the preview needs it, and it is bounded by VERBATIM_QDPX_CPU_SECONDS."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from exchange import importing, placeholders, plans
from exchange.forms import ConfirmProjectForm
from exchange.models import ImportDraft
from jobs import runner

IMPORT_TASK = "exchange.import_project"


@runner.task(IMPORT_TASK)
def import_project(job, progress) -> dict:
    """`arguments`: the person's draft (what was read from the file) and their answers on the
    preview (the project's name, an account for each user of the file), checked again here: a
    colleague mapped to may have left the person's projects since."""
    draft = ImportDraft.objects.filter(
        pk=job.arguments["draft"], created_by=job.created_by, project=None
    ).first()
    if draft is None:
        raise runner.Failed([_("No import is waiting: upload the file again.")])
    plan = plans.load(draft.plan)
    form = ConfirmProjectForm(
        job.arguments["answers"], plan=plan, candidates=placeholders.colleagues(job.created_by)
    )
    if not form.is_valid():
        raise runner.Failed(
            [_("The accounts chosen on the preview changed meanwhile: open the preview again.")]
        )
    project = importing.store_project(
        plan,
        name=form.cleaned_data["name"],
        admin=job.created_by,
        users=form.accounts(),
        progress=progress,
    )
    draft.delete()
    return {
        "summary": imported(plan),
        "link": project.get_absolute_url(),
        "link_label": _("Open the project"),
    }


def imported(plan: plans.Plan) -> str:
    codes = len(list(plan.project.all_codes()))
    return _("Imported: %(interviews)s, %(codings)s, %(codes)s. The file was not kept.") % {
        "interviews": ngettext("%d interview", "%d interviews", len(plan.sources))
        % len(plan.sources),
        "codings": ngettext("%d coding", "%d codings", plan.codings()) % plan.codings(),
        "codes": ngettext("%d code", "%d codes", codes) % codes,
    }
