/*
 * st_support.h — the plugin's constants. (The dtype table, UTF-8 checks, little-endian
 * integers, the header parser and the mapping are shared with the other bundled plugins that
 * read safetensors: Plugins/support, tessera_plugin_safetensors.h.)
 *
 * Private to safetensors.c, which includes it exactly once.
 */
#ifndef TESSERA_ST_SUPPORT_H
#define TESSERA_ST_SUPPORT_H

#include <tessera/tessera.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera_safetensors.h"
#include "tessera_plugin_support.h"
#include "tessera_plugin_safetensors.h"

#define PLUGIN_NAME "safetensors"
#define MAX_HEADER ((uint64_t)TESSERA_SAFETENSORS_MAX_HEADER)

#endif /* TESSERA_ST_SUPPORT_H */
