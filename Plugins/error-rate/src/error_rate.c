/*
 * error-rate — Tessera's bundled error-rate monitor.
 *
 * It is the SDK example sdk/examples/error-rate-monitor compiled as is, under Tessera's id
 * and name: the example is written to production standard, and one source means the
 * example plugin authors copy is the code operators run.
 */
#include "tessera_error_rate.h"

#define ERROR_RATE_ID TESSERA_ERROR_RATE_ID
#define ERROR_RATE_NAME "error-rate"
#define ERROR_RATE_VENDOR "Tessera"

#include "../../../sdk/examples/error-rate-monitor/error_rate_monitor.c"
