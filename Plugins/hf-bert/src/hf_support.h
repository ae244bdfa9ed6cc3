/*
 * hf_support.h — includes, the plugin's name, paths in the model folder and reading a small
 * file whole. (Errors, settings and the safetensors reader are the shared tsp_* helpers of
 * Plugins/support.)
 *
 * Private to hf_bert.c, which includes it exactly once: every definition is static, so the
 * library exports nothing but tsr_plugin_entry.
 */
#ifndef TESSERA_HF_SUPPORT_H
#define TESSERA_HF_SUPPORT_H

#include <tessera/tessera.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera_hf_bert.h"
#include "tessera_plugin_safetensors.h"
#include "tessera_plugin_support.h"

#define PLUGIN_NAME "hf-bert"

/** "<folder>/<file>" in a malloc'ed string (no doubled '/'); NULL when out of memory. */
static char *join_path(const char *folder, const char *file)
{
    size_t folder_length = strlen(folder), file_length = strlen(file);
    while (folder_length > 1 && folder[folder_length - 1] == '/') folder_length--;
    char *path = malloc(folder_length + 1 + file_length + 1);
    if (path == NULL) return NULL;
    memcpy(path, folder, folder_length);
    size_t at = folder_length;
    if (at == 0 || path[at - 1] != '/') path[at++] = '/';
    memcpy(path + at, file, file_length + 1);
    return path;
}

/** 1 when `path` is a directory (following links). */
static int is_directory(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

/** 1 when `path` is a regular file (following links). */
static int is_regular_file(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/**
 * Reads the regular file `path` of at most `limit` bytes into a malloc'ed, NUL-terminated
 * buffer; a status naming the file on failure.
 */
static tsr_status *read_small_file(const tsr_host_api *api, const char *path, size_t limit, unsigned char **out,
                                   size_t *length)
{
    *out = NULL;
    *length = 0;
    int fd = tsp_open_read_only(path);
    if (fd < 0) {
        int error = errno;
        return tsp_fail(api, error == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO, PLUGIN_NAME,
                        "cannot open '%s': %s (a Hugging Face BERT folder holds " TESSERA_HF_BERT_CONFIG_FILE
                        " and " TESSERA_HF_BERT_WEIGHTS_FILE ")",
                        path, strerror(error));
    }
    struct stat info;
    tsr_status *status = NULL;
    unsigned char *buffer = NULL;
    size_t size = 0;
    if (fstat(fd, &info) != 0) {
        status = tsp_fail(api, TSR_ERR_IO, PLUGIN_NAME, "cannot stat '%s': %s", path, strerror(errno));
    } else if (!S_ISREG(info.st_mode)) {
        status = tsp_fail(api, TSR_ERR_INVALID_ARGUMENT, PLUGIN_NAME, "'%s' is not a regular file", path);
    } else if ((uint64_t)info.st_size > limit) {
        status = tsp_fail(api, TSR_ERR_UNSUPPORTED, PLUGIN_NAME, "'%s' is %" PRIu64 " bytes; the limit is %zu bytes", path,
                          (uint64_t)info.st_size, limit);
    } else {
        size = (size_t)info.st_size;
        buffer = malloc(size + 1);
        if (buffer == NULL) status = tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, PLUGIN_NAME, "out of memory reading '%s'", path);
    }
    size_t done = 0;
    while (status == NULL && done < size) {
        ssize_t got = read(fd, buffer + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            status = tsp_fail(api, TSR_ERR_IO, PLUGIN_NAME, "cannot read '%s': %s", path,
                              got < 0 ? strerror(errno) : "it became shorter while being read");
            break;
        }
        done += (size_t)got;
    }
    close(fd);
    if (status != NULL) {
        free(buffer);
        return status;
    }
    buffer[size] = '\0';
    *out = buffer;
    *length = size;
    return NULL;
}

#endif /* TESSERA_HF_SUPPORT_H */
