"""Django's MySQL/MariaDB backend, with transactions begun by START TRANSACTION (see `base`)."""
