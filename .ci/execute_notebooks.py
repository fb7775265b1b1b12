"""Execute notebooks in place, storing outputs and widget state (``make notebooks``).

Like ``jupyter execute --inplace``, but without per-cell timestamps in the metadata, so a
re-run that changes no output changes no byte of the notebook.
"""

import pathlib
import sys

import nbformat
from nbclient import NotebookClient

for name in sys.argv[1:]:
    path = pathlib.Path(name)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(nb, path)
    print(f"executed {path}")
