/*
 * files.c — opening and mapping files (tessera_plugin_support.h): the read-only, reference-
 * counted mapping that format plugins hand tensors over in, and the per-view release that
 * gives a tensor's pages back to the kernel.
 */
#define _POSIX_C_SOURCE 200809L
#ifndef _DEFAULT_SOURCE /* fuzz/fuzz_mmap.h, force-included first, defines it too */
#define _DEFAULT_SOURCE /* madvise */
#endif

#include "tessera_plugin_support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int tsp_open_read_only(const char *path)
{
    int fd;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

int tsp_probe_start(const char *path, unsigned char *buffer, size_t size, size_t *count, uint64_t *file_size)
{
    *count = 0;
    *file_size = 0;
    int fd = tsp_open_read_only(path);
    if (fd < 0) return 0;
    struct stat info;
    int regular = fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
    if (regular) {
        ssize_t got;
        do {
            got = pread(fd, buffer, size, 0);
        } while (got < 0 && errno == EINTR);
        *count = got > 0 ? (size_t)got : 0;
        *file_size = (uint64_t)info.st_size;
    }
    close(fd);
    return regular;
}

int tsp_has_extension(const char *path, const char *extension)
{
    size_t length = strlen(path), extension_length = strlen(extension);
    if (length < extension_length) return 0;
    const char *tail = path + length - extension_length;
    for (size_t i = 0; i < extension_length; i++) {
        char a = tail[i], b = extension[i];
        if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
        if (a != b) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The shared mapping                                                                         */
/* ------------------------------------------------------------------------------------------ */

struct tsp_mapping {
    void *base; /* NULL for an empty file, which has nothing to map */
    size_t size;
    atomic_size_t references;
};

unsigned char *tsp_mapping_bytes(const tsp_mapping *mapping)
{
    return mapping->base;
}

size_t tsp_mapping_size(const tsp_mapping *mapping)
{
    return mapping->size;
}

void tsp_mapping_retain(tsp_mapping *mapping)
{
    atomic_fetch_add_explicit(&mapping->references, 1, memory_order_relaxed);
}

void tsp_mapping_release(void *context)
{
    tsp_mapping *m = context;
    if (atomic_fetch_sub_explicit(&m->references, 1, memory_order_acq_rel) == 1) {
        if (m->base != NULL) munmap(m->base, m->size);
        free(m);
    }
}

/**
 * A tsp_map_file error. The file is called "'<path>'", or "its <what> '<path>'" after a
 * "'<referrer>': " prefix; `before` and `after` are the words around that, and `detail` (the
 * system's reason, or NULL) follows a ": ".
 */
static tsr_status *map_fail(const tsr_host_api *api, tsr_status_code code, const char *plugin_name, const char *path,
                            const char *referrer, const char *what, const char *before, const char *after, const char *detail)
{
    const char *separator = detail != NULL ? ": " : "";
    if (detail == NULL) detail = "";
    if (referrer == NULL) return tsp_fail(api, code, plugin_name, "%s'%s'%s%s%s", before, path, after, separator, detail);
    return tsp_fail(api, code, plugin_name, "'%s': %sits %s '%s'%s%s%s", referrer, before, what, path, after, separator, detail);
}

tsr_status *tsp_map_file(const tsr_host_api *api, const char *plugin_name, const char *path, const char *referrer,
                         const char *what, tsp_mapping **out)
{
    *out = NULL;
    int fd = tsp_open_read_only(path);
    if (fd < 0) {
        int error = errno;
        return map_fail(api, error == ENOENT ? TSR_ERR_NOT_FOUND : TSR_ERR_IO, plugin_name, path, referrer, what, "cannot open ",
                        "", strerror(error));
    }
    struct stat info;
    tsr_status *status = NULL;
    if (fstat(fd, &info) != 0) {
        status = map_fail(api, TSR_ERR_IO, plugin_name, path, referrer, what, "cannot stat ", "", strerror(errno));
    } else if (S_ISDIR(info.st_mode)) {
        char after[160];
        snprintf(after, sizeof after, referrer == NULL ? " is a directory; give the path of %s" : " is a directory", what);
        status = map_fail(api, TSR_ERR_INVALID_ARGUMENT, plugin_name, path, referrer, what, "", after, NULL);
    } else if (!S_ISREG(info.st_mode)) {
        status = map_fail(api, TSR_ERR_INVALID_ARGUMENT, plugin_name, path, referrer, what, "", " is not a regular file", NULL);
    } else if ((uint64_t)info.st_size > (uint64_t)SIZE_MAX) {
        status = map_fail(api, TSR_ERR_UNSUPPORTED, plugin_name, path, referrer, what, "", " is too large to map on this machine",
                          NULL);
    }
    if (status != NULL) {
        close(fd);
        return status;
    }
    size_t size = (size_t)info.st_size;
    void *base = NULL;
    if (size > 0) { /* mmap refuses a length of 0 */
        base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) {
            int error = errno;
            close(fd);
            char after[48];
            snprintf(after, sizeof after, " (%zu bytes)", size);
            return map_fail(api, TSR_ERR_IO, plugin_name, path, referrer, what, "cannot map ", after, strerror(error));
        }
    }
    close(fd); /* the mapping stays valid without it */
    tsp_mapping *m = malloc(sizeof *m);
    if (m == NULL) {
        if (base != NULL) munmap(base, size);
        return map_fail(api, TSR_ERR_OUT_OF_MEMORY, plugin_name, path, referrer, what, "out of memory mapping ", "", NULL);
    }
    m->base = base;
    m->size = size;
    atomic_init(&m->references, 1);
    *out = m;
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Views handed to the host                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** One view's hold on its mapping. */
typedef struct view_hold {
    tsp_mapping *mapping;
    const unsigned char *start;
    size_t size;
} view_hold;

/** tsr_release callback of tsp_mapping_hold_view. [any-thread] */
static void view_release(void *context)
{
    view_hold *hold = context;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        /* Only the pages wholly inside the view: a page it shares with a neighbour stays. */
        uintptr_t mask = (uintptr_t)page - 1;
        uintptr_t first = ((uintptr_t)hold->start + mask) & ~mask;
        uintptr_t end = ((uintptr_t)hold->start + hold->size) & ~mask;
        if (end > first) (void)madvise((void *)first, end - first, MADV_DONTNEED);
    }
    tsp_mapping_release(hold->mapping);
    free(hold);
}

void tsp_mapping_hold_view(tsp_mapping *mapping, const void *data, size_t size, tsr_release *release)
{
    tsp_mapping_retain(mapping);
    release->struct_size = (uint32_t)sizeof *release;
    view_hold *hold = malloc(sizeof *hold);
    if (hold == NULL) {
        /* Still a correct hold on the mapping; only the early page release is lost. */
        release->release = tsp_mapping_release;
        release->context = mapping;
        return;
    }
    *hold = (view_hold){mapping, data, size};
    release->release = view_release;
    release->context = hold;
}

void tsp_release_free(void *context)
{
    free(context);
}

/* ------------------------------------------------------------------------------------------ */
/* Saving a file atomically                                                                   */
/* ------------------------------------------------------------------------------------------ */

/** Records the first failed step and its errno. */
static void save_failed(tsp_save *save, const char *step)
{
    if (save->failed != NULL) return;
    save->failed = step;
    save->error = errno;
}

void tsp_save_begin(tsp_save *save, const char *path)
{
    memset(save, 0, sizeof *save);
    save->path = path;
    save->fd = -1;
    size_t size = strlen(path) + 32;
    save->temporary = malloc(size);
    if (save->temporary == NULL) return; /* tsp_save_finish reports it */
    snprintf(save->temporary, size, "%s.tmp-%ld", path, (long)getpid());
    do {
        save->fd = open(save->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (save->fd < 0 && errno == EINTR);
    if (save->fd < 0) save_failed(save, "create");
}

int tsp_save_write(tsp_save *save, const void *bytes, uint64_t count)
{
    if (save->failed != NULL || save->fd < 0) return 0;
    const unsigned char *at = bytes;
    while (count > 0) {
        /* write(2) may take less than asked, and at most about 2 GiB at once on Linux */
        size_t chunk = count > (uint64_t)(1u << 30) ? (size_t)(1u << 30) : (size_t)count;
        ssize_t written = write(save->fd, at, chunk);
        if (written < 0) {
            if (errno == EINTR) continue;
            save_failed(save, "write");
            return 0;
        }
        at += written;
        count -= (uint64_t)written;
    }
    return 1;
}

/** fsyncs the directory holding `path` so the rename is durable; best effort. */
static void sync_parent_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *directory = slash == NULL ? strdup(".") : slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
    if (directory == NULL) return;
    int fd = open(directory, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(directory);
}

tsr_status *tsp_save_finish(tsp_save *save, const tsr_host_api *api, const char *plugin_name)
{
    if (save->temporary == NULL) return tsp_fail(api, TSR_ERR_OUT_OF_MEMORY, plugin_name, "out of memory saving '%s'", save->path);
    if (save->fd >= 0) {
        if (save->failed == NULL && fsync(save->fd) != 0) save_failed(save, "fsync");
        if (close(save->fd) != 0) save_failed(save, "close");
    }
    if (save->failed == NULL && rename(save->temporary, save->path) != 0) save_failed(save, "rename");
    tsr_status *status = NULL;
    if (save->failed == NULL) {
        sync_parent_directory(save->path);
    } else {
        if (save->fd >= 0) unlink(save->temporary); /* it was created: leave nothing behind */
        if (strcmp(save->failed, "rename") == 0) {
            status = tsp_fail(api, TSR_ERR_IO, plugin_name, "cannot rename '%s' to '%s': %s", save->temporary, save->path,
                              strerror(save->error));
        } else {
            status = tsp_fail(api, TSR_ERR_IO, plugin_name,
                              "cannot %s '%s' while saving '%s': %s; check that the directory exists, is writable and has "
                              "free space",
                              save->failed, save->temporary, save->path, strerror(save->error));
        }
    }
    free(save->temporary);
    save->temporary = NULL;
    save->fd = -1;
    return status;
}
