"""Print the notebooks listed in _toc.yml, one path per line (used by the Makefile)."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for key in ("root", "parts", "chapters", "sections"):
            value = node.get(key)
            if isinstance(value, str):
                yield value
            elif isinstance(value, list):
                for child in value:
                    yield from files(child)


for name in files(yaml.safe_load((ROOT / "_toc.yml").read_text())):
    path = pathlib.Path(name).with_suffix(".ipynb")
    if (ROOT / path).exists():
        print(path)
