#ifndef STRIPE_SIM_CSQLITECONFIG_H
#define STRIPE_SIM_CSQLITECONFIG_H

/// SQLite's process-wide options, which only the variadic `sqlite3_config` sets (Swift cannot call a variadic C
/// function). Each must run before SQLite initialises (before the process opens its first database); later it
/// changes nothing and answers SQLITE_MISUSE.

/// Turns SQLite's memory statistics off (`SQLITE_CONFIG_MEMSTATUS`, as `SQLITE_DEFAULT_MEMSTATUS=0`, which
/// SQLite recommends for speed): every allocation and free otherwise takes a process-wide mutex to count bytes
/// that nothing here reads. Returns SQLite's result code.
int stripe_sim_sqlite_memstatus_off(void);

#endif
