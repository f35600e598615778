import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def chain(platform):
    import rtfix

    return rtfix.build_chain()
