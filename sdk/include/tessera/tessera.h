/*
 * tessera/tessera.h — the Tessera plugin SDK, C ABI major 1.
 *
 * Include this one header. Build a plugin with a plain C compiler:
 *     cc -std=c11 -shared -fPIC -I <sdk>/include my_plugin.c -o libmy-plugin.so
 * and check it with `tessera plugins check libmy-plugin.so`. See sdk/PLUGIN_GUIDE.md.
 */
#ifndef TESSERA_TESSERA_H
#define TESSERA_TESSERA_H

#include "abi.h"
#include "status.h"
#include "tensor.h"
#include "graph.h"
#include "host.h"
#include "format.h"
#include "optimizer.h"
#include "monitor.h"
#include "exporter.h"
#include "plugin.h"

#endif /* TESSERA_TESSERA_H */
