/*
 * fuzz_mmap.h — force-included (-include) into a plugin's translation unit when it is built
 * for fuzzing: its mmap and munmap become fuzz_mmap and fuzz_munmap (mock_host.c), which copy
 * the file into a malloc'ed buffer of exactly its size. AddressSanitizer then reports a read
 * even one byte past the end of the file, and LeakSanitizer a mapping that is never released.
 * Only read-only, private, whole-file mappings are supported, which is all the plugins use.
 * madvise becomes fuzz_madvise, which checks that the range lies inside a live mapping and
 * leaves the copy as it is: on a real file mapping MADV_DONTNEED loses nothing (the pages are
 * read back from the file), while on heap memory it would zero them.
 */
#ifndef TESSERA_FUZZ_MMAP_H
#define TESSERA_FUZZ_MMAP_H

/* Included before the plugin's own first lines, which define these too (the same values):
   the feature macros must be set before the first system header, and _DEFAULT_SOURCE is what
   declares madvise. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

void *fuzz_mmap(void *address, size_t length, int protection, int flags, int fd, off_t offset);
int fuzz_munmap(void *address, size_t length);
int fuzz_madvise(void *address, size_t length, int advice);

#define mmap(address, length, protection, flags, fd, offset) fuzz_mmap(address, length, protection, flags, fd, offset)
#define munmap(address, length) fuzz_munmap(address, length)
#define madvise(address, length, advice) fuzz_madvise(address, length, advice)

#endif /* TESSERA_FUZZ_MMAP_H */
