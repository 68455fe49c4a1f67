/* oracle_unit.c - the oracle's core and its rule checks compiled as one
 * unit. The sources stay one concern per file (oracle.c the tables and
 * intake, rules_m.c and rules_r.c one function per rule); compiled together,
 * each RUN list's checks inline into the intake of their event, with no
 * call per row and no reload of the view after each (check.h). Only this
 * file is in sim/oracle/meson.build; the included files are not compiled
 * on their own. */
#define ORACLE_CHECK static inline __attribute__((always_inline))
#include "oracle/oracle.c"
#include "oracle/rules_m.c"
#include "oracle/rules_r.c"
