import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def setup(platform):
    import calfix

    return calfix.lab_setup()
