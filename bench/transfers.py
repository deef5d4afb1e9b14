"""Transfer rows/s and peak memory against the databases' own bulk tools (see run.sh).

Four transfers of the same N rows, each through a real cluster (a workflow with one
<transfer> action; rows/s and the peak memory of its cafflow-exec come from the
attempt's result) and through the database's own tool in the same run:

  SQLite -> MariaDB   vs  sqlite3 -csv export + LOAD DATA LOCAL INFILE
  MariaDB -> CSV      vs  mariadb --batch (the client's own dump of a query)
  CSV -> PostgreSQL   vs  psql \\copy (COPY FROM STDIN)
  CSV -> SQLite       vs  sqlite3 .import
"""
import glob
import os
import shutil
import subprocess
import time


def _run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


class PostgreSQL:
    """A throwaway PostgreSQL on a free port (as 'nobody' when root)."""

    def __init__(self, scratch_dir, free_port):
        self.dir = scratch_dir("postgres-")
        self.bin = os.path.dirname(sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))[-1])
        self.port = free_port()
        self.as_user = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
                        if os.geteuid() == 0 else [])
        os.chmod(os.path.dirname(self.dir), 0o755)  # nobody must reach it
        os.chmod(self.dir, 0o777)
        os.makedirs(f"{self.dir}/run")
        if os.geteuid() == 0:
            _run(["chown", "-R", "nobody:nogroup", self.dir])
        _run(self.as_user + [f"{self.bin}/initdb", "-D", f"{self.dir}/data", "-U", "postgres",
                             "--no-sync", "--auth=trust", "-E", "UTF8", "--locale=C"])
        self.proc = subprocess.Popen(
            self.as_user + [f"{self.bin}/postgres", "-D", f"{self.dir}/data", "-p", str(self.port),
                            "-k", f"{self.dir}/run", "-c", "listen_addresses=127.0.0.1",
                            "-c", "fsync=off", "-c", "synchronous_commit=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p",
                              str(self.port)]).returncode != 0:
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("PostgreSQL did not start")
            time.sleep(0.05)

    def psql(self, *args):
        return _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                     str(self.port), "-U", "postgres", "-d", "postgres", *args])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def transfer_xml(name, source, target):
    return (f'<work-flow name="{name}"><start name="start" to="t"/>'
            f'<action name="t"><transfer>{source}{target}</transfer><ok to="end"/></action>'
            '<end name="end"/></work-flow>')


def run_transfer(root, cluster_cls, workdir, links, name, xml):
    """One transfer through a real cluster: (wall of the attempt, its result)."""
    cluster = cluster_cls(root, workdir)
    with open(f"{workdir}/conf/db_links.xml", "w") as f:
        f.write(links)
    cluster.add(name, xml)
    cluster.start()
    try:
        deadline = time.time() + 30
        while True:  # the file is loaded within a second
            try:
                instance = cluster.run(name)
                break
            except RuntimeError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        while True:
            i = cluster.get(f"/api/v1/instances/{instance}")
            if i["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        node = [n for n in i["nodes"] if n["name"] == "t"][0]
        attempt = node["attempts"][-1]
        if i["status"] != "succeeded":
            raise RuntimeError(f"{name} {i['status']}: {node['message']}")
        return attempt["result"]
    finally:
        cluster.stop()


def timed(cmd, **kw):
    start = time.time()
    _run(cmd, **kw)
    return time.time() - start


def bench_transfers(args, root, cluster_cls, mariadb_cls, scratch_dir, free_port):
    n = args.transfer_rows
    maria = mariadb_cls()
    pg = None
    rows = []
    try:
        pg = PostgreSQL(scratch_dir, free_port)
        data = scratch_dir("transfer-data-")
        os.chmod(data, 0o777)
        sqlite_db = f"{data}/src.db"
        _run(["sqlite3", sqlite_db,
              "CREATE TABLE orders (id INTEGER, customer TEXT, amount REAL, day TEXT);"
              "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < "
              f"{n}) INSERT INTO orders SELECT i, 'customer ' || (i % 1000), i / 100.0, "
              "'2026-11-20' FROM s;"])
        csv = f"{data}/orders.csv"
        with open(csv, "w") as out:
            subprocess.run(["sqlite3", "-header", "-csv", sqlite_db, "SELECT * FROM orders"],
                           check=True, stdout=out)
        os.chmod(csv, 0o644)
        maria_url = maria.fresh_url()  # mysql://cafflow:cafflow@127.0.0.1:P/benchN
        maria_db = maria_url.rsplit("/", 1)[1]
        maria.sql(f"CREATE TABLE {maria_db}.src (id BIGINT, customer VARCHAR(40), amount DOUBLE, "
                  f"day VARCHAR(10)) ENGINE=InnoDB")
        maria.sql(f"INSERT INTO {maria_db}.src SELECT seq, CONCAT('customer ', seq % 1000), "
                  f"seq / 100, '2026-11-20' FROM {maria_db}.seq_1_to_{n}")
        links = ("<db-links>"
                 f'<link name="lite" type="SQLITE" jdbc-url="jdbc:sqlite:{sqlite_db}"/>'
                 f'<link name="lite_out" type="SQLITE" jdbc-url="jdbc:sqlite:{data}/out.db"/>'
                 f'<link name="maria" type="MYSQL" jdbc-url="jdbc:mysql://127.0.0.1:{maria.port}/'
                 f'{maria_db}" username="cafflow" password="cafflow"/>'
                 f'<link name="pg" type="POSTGRESQL" jdbc-url="jdbc:postgresql://127.0.0.1:'
                 f'{pg.port}/postgres" username="postgres"/>'
                 "</db-links>")
        mysql = ["mariadb", "--no-defaults", "--protocol=tcp", "-h127.0.0.1", f"-P{maria.port}",
                 "-uroot", maria_db]
        cases = [
            ("SQLite -> MariaDB", "sqlite_to_maria",
             '<source type="DB" db-link="lite">orders</source>',
             '<target type="DB" db-link="maria" table="dst"/>',
             "sqlite3 -csv export + LOAD DATA LOCAL INFILE",
             lambda: (timed(["sh", "-c", f"sqlite3 -csv {sqlite_db} 'SELECT * FROM orders' > "
                                         f"{data}/bulk.csv"])
                      + timed(mysql + ["--local-infile=1", "-e",
                                       "CREATE TABLE bulk LIKE dst; LOAD DATA LOCAL INFILE "
                                       f"'{data}/bulk.csv' INTO TABLE bulk FIELDS TERMINATED BY "
                                       "',' OPTIONALLY ENCLOSED BY '\"'"]))),
            ("MariaDB -> CSV", "maria_to_csv",
             '<source type="DB" db-link="maria">src</source>',
             f'<target type="FILE" path="{data}/maria.csv" delimited=","/>',
             "mariadb --batch (SELECT * to a file)",
             lambda: timed(["sh", "-c", " ".join(mysql) + f" -B -N -e 'SELECT * FROM src' > "
                                                          f"{data}/maria_bulk.tsv"])),
            ("CSV -> PostgreSQL", "csv_to_pg",
             f'<source type="FILE" delimited="," header="true">{csv}</source>',
             '<target type="DB" db-link="pg" table="dst"/>',
             "psql \\copy (COPY FROM STDIN)",
             lambda: (pg.psql("-c", "CREATE TABLE bulk (id TEXT, customer TEXT, amount TEXT, "
                                    "day TEXT)"),
                      timed(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(pg.port), "-U",
                             "postgres", "-c", f"\\copy bulk FROM '{csv}' CSV HEADER"]))[1]),
            ("CSV -> SQLite", "csv_to_sqlite",
             f'<source type="FILE" delimited="," header="true">{csv}</source>',
             '<target type="DB" db-link="lite_out" table="dst"/>',
             "sqlite3 .import",
             lambda: timed(["sqlite3", f"{data}/bulk.db", ".mode csv",
                            f".import {csv} bulk"])),
        ]
        for label, name, source, target, tool, run_tool in cases:
            result = run_transfer(root, cluster_cls, scratch_dir("transfer-"), links, name,
                                  transfer_xml(name, source, target))
            ours = result["seconds"]
            theirs = run_tool()
            rows.append((label, result["rows"], ours, result["rows_per_s"],
                         result["peak_rss_kb"], tool, theirs))
            print(f"{label}: cafflow {result['rows_per_s']:.0f} rows/s ({ours:.1f} s, peak RSS "
                  f"{result['peak_rss_kb'] // 1024} MiB); {tool} {n / theirs:.0f} rows/s "
                  f"({theirs:.1f} s)", flush=True)
    finally:
        maria.stop()
        if pg:
            pg.stop()
    table = ["| transfer | rows | cafflow | rows/s | peak RSS of cafflow-exec | bulk tool | "
             "its time | its rows/s | cafflow / tool |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, count, ours, rps, rss, tool, theirs in rows:
        table.append(f"| {label} | {count} | {ours:.1f} s | {rps:.0f} | {rss // 1024} MiB | "
                     f"{tool} | {theirs:.1f} s | {count / theirs:.0f} | {ours / theirs:.1f}x |")
    return ("<!-- transfers:begin -->\n"
            f"Measured {time.strftime('%Y-%m-%d')}; one run each, "
            f"`bench/run.sh --transfer-rows {n}`.\n\n" + "\n".join(table)
            + "\n<!-- transfers:end -->")
