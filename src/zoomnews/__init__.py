"""zoomnews: an annotated news corpus with its loader, validators and release tooling.

Library first: every CLI command is a function here.

    >>> import zoomnews
    >>> zoomnews.CONFIGS[:3]
    ('default', 'documents', 'articles')
"""

from zoomnews import streams
from zoomnews.errors import Problem, ZoomnewsError
from zoomnews.repo import CorpusRepo

__version__ = "0.1.0"

streams.register()  # a half-read Arrow stream must not abort the interpreter at exit (see zoomnews.streams)


def __getattr__(name):
    if name == "CONFIGS":  # on first use: the configs module imports `datasets`, which validation never needs
        from zoomnews.configs import CONFIGS

        return CONFIGS
    raise AttributeError(f"module 'zoomnews' has no attribute {name!r}")


__all__ = ["CONFIGS", "CorpusRepo", "Problem", "ZoomnewsError", "build", "iter_rows", "load", "validate", "__version__"]


def build(repo=None, version=None):
    """Build the release for the sources in `repo` (see zoomnews.building.build_release)."""
    from zoomnews.building import build_release

    return build_release(CorpusRepo.find(repo), version=version)


def validate(repo=None, **options):
    """Validate the corpus repository at `repo`; returns a zoomnews.validation.Report."""
    from zoomnews.validation import validate_repo

    return validate_repo(CorpusRepo.find(repo), **options)


def load(config, version=None, *, repo=None, streaming=False, **kwargs):
    """Load one config of one release (default: the current one) as a `datasets` split."""
    from zoomnews.loading import load_release

    return load_release(config, version=version, repo=repo, streaming=streaming, **kwargs)


def iter_rows(dataset, batch_size=1000):
    """The rows of a dataset as Python dicts, a batch at a time (see zoomnews.loading.iter_rows)."""
    from zoomnews.loading import iter_rows as rows

    return rows(dataset, batch_size=batch_size)
