import psycopg


def test_throwaway_cluster_accepts_queries(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("CREATE TEMP TABLE t (id int)")
        conn.execute("INSERT INTO t VALUES (1), (2)")
        row = conn.execute("SELECT count(*) FROM t").fetchone()
    assert row == (2,)
