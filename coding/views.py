"""The coding workspace: apply codes to passages of an interview, inspect and change codings, undo."""
