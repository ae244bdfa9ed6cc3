#include "tessera_kernels.h"

#include <string.h>

#define TSK_PERMUTE_MAX_RANK 16

/*
 * Walks dst in order (writes stay sequential) with an odometer over all but its last axis;
 * the innermost loop reads src with a fixed stride. Element moves are fixed-size memcpy so
 * the compiler turns each into one load and one store.
 */
#define TSK_PERMUTE_INNER(TYPE_SIZE)                                                    \
    for (size_t j = 0; j < inner; j++)                                                  \
        memcpy(out + j * (TYPE_SIZE), in + (offset + j * inner_stride) * (TYPE_SIZE), (TYPE_SIZE))

int tsk_permute(size_t elem_size, size_t rank, const size_t *shape, const size_t *perm, const void *src, void *dst) {
    if (rank > TSK_PERMUTE_MAX_RANK) return 0;
    if (elem_size != 1 && elem_size != 2 && elem_size != 4 && elem_size != 8) return 0;
    unsigned seen = 0;
    for (size_t d = 0; d < rank; d++) {
        if (perm[d] >= rank || (seen & (1u << perm[d]))) return 0;
        seen |= 1u << perm[d];
    }
    size_t total = 1;
    for (size_t d = 0; d < rank; d++) total *= shape[d];
    if (total == 0) return 1;
    if (rank == 0) {
        memcpy(dst, src, elem_size);
        return 1;
    }

    size_t src_stride[TSK_PERMUTE_MAX_RANK], size[TSK_PERMUTE_MAX_RANK], stride[TSK_PERMUTE_MAX_RANK];
    src_stride[rank - 1] = 1;
    for (size_t d = rank - 1; d > 0; d--) src_stride[d - 1] = src_stride[d] * shape[d];
    for (size_t d = 0; d < rank; d++) {
        size[d] = shape[perm[d]];
        stride[d] = src_stride[perm[d]];
    }

    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t inner = size[rank - 1], inner_stride = stride[rank - 1];
    size_t index[TSK_PERMUTE_MAX_RANK] = {0};
    size_t offset = 0;
    for (size_t done = 0; done < total; done += inner) {
        switch (elem_size) {
        case 1: TSK_PERMUTE_INNER(1); break;
        case 2: TSK_PERMUTE_INNER(2); break;
        case 4: TSK_PERMUTE_INNER(4); break;
        default: TSK_PERMUTE_INNER(8); break;
        }
        out += inner * elem_size;
        for (size_t d = rank - 1; d > 0; d--) {
            size_t axis = d - 1;
            offset += stride[axis];
            if (++index[axis] < size[axis]) break;
            offset -= stride[axis] * size[axis];
            index[axis] = 0;
        }
    }
    return 1;
}
