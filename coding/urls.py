from django.urls import path

from coding import codebook_views, memo_views, views

app_name = "coding"

urlpatterns = [
    # Codebook: /projects/<project_id>/codebook/…  (coding/codebook_views.py)
    path("projects/<int:project_id>/codebook/", codebook_views.codebook, name="codebook"),
    path(
        "projects/<int:project_id>/codebook/colors.css",
        codebook_views.code_colors,
        name="code-colors",
    ),
    path(
        "projects/<int:project_id>/codebook/new/",
        codebook_views.code_create,
        name="code-create",
    ),
    path(
        "projects/<int:project_id>/codebook/<int:code_id>/edit/",
        codebook_views.code_edit,
        name="code-edit",
    ),
    path(
        "projects/<int:project_id>/codebook/<int:code_id>/reorder/",
        codebook_views.code_reorder,
        name="code-reorder",
    ),
    path(
        "projects/<int:project_id>/codebook/<int:code_id>/merge/",
        codebook_views.code_merge,
        name="code-merge",
    ),
    path(
        "projects/<int:project_id>/codebook/<int:code_id>/delete/",
        codebook_views.code_delete,
        name="code-delete",
    ),
    # Trash of deleted and merged codes: /projects/<project_id>/trash/…  (coding/codebook_views.py)
    path("projects/<int:project_id>/trash/", codebook_views.trash_list, name="trash"),
    path(
        "projects/<int:project_id>/trash/<int:entry_id>/restore/",
        codebook_views.trash_restore,
        name="trash-restore",
    ),
    # Coding workspace: /projects/<project_id>/interviews/<interview_id>/…  (coding/views.py)
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/",
        views.interview_workspace,
        name="workspace",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/",
        views.apply_code,
        name="apply-code",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/inspect/",
        views.inspect_codings,
        name="inspect-codings",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/changes/",
        views.changes,
        name="changes",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/choices/",
        views.code_choices,
        name="code-choices",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/undo/",
        views.undo,
        name="undo",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/<int:coding_id>/",
        views.update_coding,
        name="update-coding",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/codings/<int:coding_id>/delete/",
        views.remove_coding,
        name="remove-coding",
    ),
    # Memos: /projects/<project_id>/memos/…  (coding/memo_views.py)
    path("projects/<int:project_id>/memos/", memo_views.memos, name="memos"),
    path("projects/<int:project_id>/memos/", memo_views.memos, name="memo-create"),  # POST
    path("projects/<int:project_id>/memos/panel/", memo_views.memo_panel, name="memo-panel"),
    path("projects/<int:project_id>/memos/<int:memo_id>/", memo_views.memo_detail, name="memo"),
    path(
        "projects/<int:project_id>/memos/<int:memo_id>/edit/",
        memo_views.memo_edit,
        name="memo-edit",
    ),
    path(
        "projects/<int:project_id>/memos/<int:memo_id>/delete/",
        memo_views.memo_delete,
        name="memo-delete",
    ),
]
