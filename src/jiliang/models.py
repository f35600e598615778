"""Import every domain's tables and resources so metadata and the registry are complete."""

from jiliang.core.audit import AuditEntry  # noqa: F401
from jiliang.core.db import Base  # noqa: F401
from jiliang.features import MODEL_MODULES, load  # noqa: E402
from jiliang.instruments import models as _instruments  # noqa: F401
from jiliang.instruments import service as _instruments_service  # noqa: F401
from jiliang.materials import models as _materials  # noqa: F401
from jiliang.materials import service as _materials_service  # noqa: F401
from jiliang.orgs import models as _orgs  # noqa: F401
from jiliang.orgs import service as _orgs_service  # noqa: F401
from jiliang.people import models as _people  # noqa: F401
from jiliang.people import service as _people_service  # noqa: F401
from jiliang.regions import models as _regions  # noqa: F401
from jiliang.regions import service as _regions_service  # noqa: F401
from jiliang.standards import models as _standards  # noqa: F401
from jiliang.standards import service as _standards_service  # noqa: F401

load(MODEL_MODULES)

metadata = Base.metadata
