#ifndef RESTORE_DRILL_CLIBPQ_SHIM_H
#define RESTORE_DRILL_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <postgres_ext.h>

/* PG_DIAG_* are character-literal macros, which Swift does not import. */
static const int rd_diag_severity = PG_DIAG_SEVERITY_NONLOCALIZED;
static const int rd_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int rd_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
static const int rd_diag_message_detail = PG_DIAG_MESSAGE_DETAIL;
static const int rd_diag_message_hint = PG_DIAG_MESSAGE_HINT;
#endif
