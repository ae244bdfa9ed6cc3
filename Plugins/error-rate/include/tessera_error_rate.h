/*
 * error-rate — Tessera's bundled error-rate monitor (see README.md). Its only public name
 * is the plugin entry point every plugin exports; this header states its id for the host.
 */
#ifndef TESSERA_ERROR_RATE_H
#define TESSERA_ERROR_RATE_H

#define TESSERA_ERROR_RATE_ID "dev.tessera.error-rate"

#endif
