"""Django's MySQL/MariaDB backend, one round trip cheaper per transaction.

Django enters an `atomic` block by switching autocommit off (`SET autocommit=0`) and leaves it by switching it on
again (`SET autocommit=1`) after COMMIT: three round trips of bookkeeping for every transaction, which at one send
per group-commit batch is a large share of the batch. Here an atomic block starts with `START TRANSACTION` and the
session stays in autocommit mode, as Django does for SQLite (`_start_transaction_under_autocommit`): the server
ends the transaction at COMMIT or ROLLBACK, and switching autocommit back on costs nothing (mysqlclient sends it
only when the server's status says it is off). Django's own view is unchanged: inside the block it sees
autocommit off, savepoints and on-commit hooks work as before, and a transaction taken manually with
`transaction.set_autocommit(False)` still turns the session's autocommit off.
"""

from django.db.backends.mysql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        with self.wrap_database_errors:
            self.connection.query("START TRANSACTION")
