"""zoomnews: an annotated news corpus with its loader, validators and release tooling.

Library first: every CLI command is a function here.

    >>> import zoomnews
    >>> zoomnews.CONFIGS[:3]
    ('default', 'documents', 'articles')
"""

from zoomnews.loader import streams
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import CorpusRepo

__version__ = "0.1.0"

streams.register()  # a half-read Arrow stream must not abort the interpreter at exit (see zoomnews.loader.streams)


def __getattr__(name):
    if name == "CONFIGS":  # on first use: the configs module imports `datasets`, which validation never needs
        from zoomnews.release.configs import CONFIGS

        return CONFIGS
    raise AttributeError(f"module 'zoomnews' has no attribute {name!r}")


__all__ = ["CONFIGS", "CorpusRepo", "Problem", "ZoomnewsError", "build", "iter_rows", "load", "validate", "__version__"]


def build(repo=None, version=None):
    """Build the release for the sources in `repo` (see zoomnews.release.building.build_release)."""
    from zoomnews.release.building import build_release

    return build_release(CorpusRepo.find(repo), version=version)


def validate(repo=None, **options):
    """Validate the corpus repository at `repo`; returns a zoomnews.checks.validation.Report."""
    from zoomnews.checks.validation import validate_repo

    return validate_repo(CorpusRepo.find(repo), **options)


def load(config, version=None, *, repo=None, streaming=False, **kwargs):
    """Load one config of one release (default: the current one) as a `datasets` split."""
    from zoomnews.loader.releases import load_release

    return load_release(config, version=version, repo=repo, streaming=streaming, **kwargs)


def iter_rows(dataset, batch_size=1000):
    """The rows of a dataset as Python dicts, a batch at a time (see zoomnews.loader.releases.iter_rows)."""
    from zoomnews.loader.releases import iter_rows as rows

    return rows(dataset, batch_size=batch_size)
