import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for folder in (HERE, HERE.parent / "calibration", HERE.parent / "certificates"):
    sys.path.insert(0, str(folder))


@pytest.fixture(scope="module")
def setup(platform):
    import calfix

    return calfix.lab_setup()
