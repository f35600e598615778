"""Start PostgreSQL if it is installed but stopped, and create the test database if missing.

Exit status 0 when the database is ready, 1 when PostgreSQL cannot be reached.
"""

import glob
import os
import subprocess
import sys
import time

import psycopg
from sqlalchemy.engine import make_url


def main(url: str) -> int:
    u = make_url(url)
    admin = dict(host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres", dbname="postgres")
    for attempt in range(20):
        try:
            conn = psycopg.connect(**admin, autocommit=True, connect_timeout=3)
            break
        except psycopg.OperationalError:
            if attempt == 0:
                versions = [os.path.basename(p) for p in glob.glob("/etc/postgresql/*")]
                if versions:
                    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[0], "main", "start"], check=False)
            time.sleep(1)
    else:
        return 1
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{u.database}"')
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
