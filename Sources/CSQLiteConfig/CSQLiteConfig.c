#include "CSQLiteConfig.h"

#include <sqlite3.h>

int stripe_sim_sqlite_memstatus_off(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
