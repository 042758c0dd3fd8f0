"""Only the list of packages is computed here; everything else is in pyproject.toml.

Every ``grader.*`` package is found automatically (a new sub-package needs no edit),
plus the packages that pyproject.toml's ``package-dir`` maps onto top-level folders
of the repository (templates, the default course's public release, the sample).
"""

from setuptools import find_namespace_packages, setup

MAPPED = ["grader.templates", "grader.bundled.exercises", "grader.bundled.sample"]

setup(packages=find_namespace_packages(include=["grader", "grader.*"], exclude=["*.__pycache__"]) + MAPPED)
