/* SQLite, for the model registry. */
#include <sqlite3.h>
