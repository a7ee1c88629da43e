"""Build a corpus repository as `zoomnews build --jobs 2` does, in two ranges (this process and one
spawned worker), then print on the last line, as JSON, which of the named modules each range's
process had imported when its range was written, and which this process had at the end.

    python tests/programs/build_modules.py REPO MODULE...

A subprocess of its own, so nothing a test session imported before counts (tests/test_validate_imports.py).
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from zoomnews import CorpusRepo
from zoomnews.checks import validation
from zoomnews.cli import _streaming_process
from zoomnews.release import building
from zoomnews.release.shards import RangeShards, ShardWriter

MODULES = sys.argv[2:]


class SpyShards(RangeShards):
    def close(self):
        output = super().close()
        output.imported = sorted(m for m in MODULES if m in sys.modules)  # travels back with the range's output
        return output


@dataclass(frozen=True)
class SpyWriter(ShardWriter):
    def open(self, names, lo, hi, kinds, index):
        return SpyShards(self.folder, self.config_schemas(), self.shard_documents, names, lo, hi, kinds, index, self.encoding)


def run(root: str) -> None:
    _streaming_process()
    validation.PARALLEL_FROM = 0
    building.APART_FROM = 0  # both as for a large corpus
    building.ShardWriter = SpyWriter
    outputs = []
    real = building.validate_repo

    def keeping(*args, **kwargs):
        report = real(*args, **kwargs)
        outputs.extend(report.outputs or [])
        return report

    building.validate_repo = keeping
    result = building.build_release(CorpusRepo(Path(root)), jobs=2, shard_documents=5)
    print(json.dumps({"status": result.status, "ranges": [o.imported for o in outputs],
                      "end": sorted(m for m in MODULES if m in sys.modules)}))


if __name__ == "__main__":
    MODULES = sys.argv[2:]
    run(sys.argv[1])
