/*
 * tessera/status.h — how every fallible call reports failure.
 *
 * A fallible function returns `tsr_status*`: NULL means success; anything else is an error
 * object carrying a code and a message. Status objects are always created by the host
 * (tsr_host_api.status_create) and released through tsr_host_api.status_release:
 *  - a plugin returning an error to the host creates it with status_create; the host reads
 *    and releases it; the plugin must not touch it afterwards;
 *  - a host API function returning an error to a plugin hands it over; the plugin reads it
 *    with status_code/status_message and releases it with status_release — or returns it
 *    unchanged to the host, which hands ownership back.
 * No exceptions, panics or longjmps cross the boundary.
 */
#ifndef TESSERA_STATUS_H
#define TESSERA_STATUS_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An error object; opaque. NULL is success. \since 1.0 */
typedef struct tsr_status tsr_status;

/**
 * Error codes. Stored as int32_t so new codes can be appended without changing any layout;
 * treat an unknown code like TSR_ERR_INTERNAL. \since 1.0
 */
typedef int32_t tsr_status_code;
#define TSR_OK 0                       /**< never carried by a status object */
#define TSR_ERR_INVALID_ARGUMENT 1     /**< a parameter or input is malformed */
#define TSR_ERR_NOT_FOUND 2            /**< a named thing (file, tensor, setting) is absent */
#define TSR_ERR_UNSUPPORTED 3          /**< valid, but this plugin or host cannot do it */
#define TSR_ERR_IO 4                   /**< reading or writing a file or stream failed */
#define TSR_ERR_OUT_OF_MEMORY 5        /**< an allocation failed */
#define TSR_ERR_FAILED_PRECONDITION 6  /**< called in the wrong state or order */
#define TSR_ERR_INVALID_SETTING 7      /**< a [plugins.settings] value was rejected */
#define TSR_ERR_INTERNAL 8             /**< a bug; the message should say where */
#define TSR_ERR_CORRUPT_DATA 9         /**< a file's contents are inconsistent or hostile */

#ifdef __cplusplus
}
#endif

#endif /* TESSERA_STATUS_H */
